'use strict';
// Drives the unmodified ali-ons client against a Sprocket nameserver and broker for the
// compatibility tests in tests/compat/*_test.cc. One scenario per process (ali-ons keeps
// process-wide state). Output: one JSON object per line on stdout; logs go to stderr.
//
//   node alions_driver.js produce <namesrv> <topic> <tag> <count> <group> [keysPrefix]
//     -> {"event":"sent","msgId":..,"queueId":..,"queueOffset":..,"body":..} per message
//   node alions_driver.js consume <namesrv> <topic> <subExpression> <group> <count>
//                                 <timeoutMs> <instanceName> [broadcast]
//     -> {"event":"ready"} once it owns queues, then {"event":"msg",...} per message and
//        {"event":"queues","n":N} whenever the number of queues it owns changes.
//        count 0: runs until SIGTERM (or the timeout), then closes cleanly and exits 0.
//   node alions_driver.js watch <namesrv> <topic> <group> <idleMs> <suspendMs>
//     -> {"event":"ready"}, then after idleMs {"event":"idle","pulls":N} (pull requests
//        made while nothing arrived), then {"event":"msg",...,"recvAt":ms} for the first
//        message that arrives
//   node alions_driver.js invoke <brokerAddr> <code>
//     -> {"event":"response","code":..,"remark":..} for a request with that code
//   Exits 0 when done, 1 on error or timeout.
const { Producer, Consumer, Message } = require('ali-ons');

const logger = {
  info() {}, debug() {},
  warn(...a) { process.stderr.write('[warn] ' + a.map(String).join(' ') + '\n'); },
  error(...a) { process.stderr.write('[error] ' + a.map(x => (x && x.stack) || String(x)).join(' ') + '\n'); },
};
const httpclient = { request() { throw new Error('onsAddr is not used in tests'); } };
const out = obj => process.stdout.write(JSON.stringify(obj) + '\n');
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function produce([nameSrv, topic, tag, count, group, keysPrefix]) {
  const producer = new Producer({ httpclient, logger, nameSrv, producerGroup: group, instanceName: 'prod-' + process.pid });
  producer.on('error', e => logger.error(e));
  await producer.ready();
  for (let i = 0; i < Number(count); i++) {
    const body = `ali-ons ${i}`;
    const msg = new Message(topic, tag, body);
    if (keysPrefix) msg.keys = [keysPrefix + i];
    const r = await producer.send(msg);
    out({ event: 'sent', msgId: r.msgId, queueId: Number(r.messageQueue.queueId), queueOffset: r.queueOffset, body, status: r.sendStatus });
  }
  await producer.close();
}

async function consume([nameSrv, topic, expr, group, count, timeoutMs, instanceName, mode]) {
  const consumer = new Consumer({
    httpclient, logger, nameSrv, consumerGroup: group, instanceName,
    isBroadcast: mode === 'broadcast',
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    rebalanceInterval: 1000, pollNameServerInteval: 1000, persistConsumerOffsetInterval: 1000,
  });
  consumer.on('error', e => logger.error(e));
  let received = 0;
  let finish;
  const done = new Promise(r => { finish = r; });
  consumer.subscribe(topic, expr, async msg => {
    out({ event: 'msg', msgId: msg.msgId, topic: msg.topic, tags: msg.tags, keys: msg.keys,
          body: msg.body.toString(), queueId: msg.queueId, queueOffset: msg.queueOffset,
          reconsumeTimes: msg.reconsumeTimes });
    if (++received >= Number(count)) finish();
  });
  const untilStopped = Number(count) === 0;
  process.on('SIGTERM', () => finish('stopped'));
  await consumer.ready();
  const deadline = Date.now() + Number(timeoutMs);
  while (consumer.processQueueTable.size === 0 && Date.now() < deadline) await sleep(50);
  out({ event: 'ready', queues: consumer.processQueueTable.size });
  let owned = -1;
  const watcher = setInterval(() => {
    const n = consumer.processQueueTable.size;
    if (n !== owned) out({ event: 'queues', n });
    owned = n;
  }, 100);
  const timer = setTimeout(() => finish(untilStopped ? 'stopped' : 'timeout'),
                           Math.max(0, deadline - Date.now()));
  const why = await done;
  clearTimeout(timer);
  clearInterval(watcher);
  // Let the offsets reach the broker before leaving.
  await sleep(1500);
  try { await consumer.close(); } catch (e) { logger.error(e); }
  if (why === 'timeout') {
    out({ event: 'timeout', received });
    process.exit(1);
  }
}

// Long polling as a client sees it: how many pulls an idle consumer makes, and how fast a
// message sent during a held pull arrives.
async function watch([nameSrv, topic, group, idleMs, suspendMs]) {
  const consumer = new Consumer({
    httpclient, logger, nameSrv, consumerGroup: group, instanceName: 'watch-' + process.pid,
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', brokerSuspendMaxTimeMillis: Number(suspendMs),
    rebalanceInterval: 1000, pollNameServerInteval: 1000, persistConsumerOffsetInterval: 1000,
  });
  consumer.on('error', e => logger.error(e));
  let pulls = 0;
  const client = consumer._mqClient;
  const pull = client.pullMessage.bind(client);
  client.pullMessage = (...a) => { pulls++; return pull(...a); };
  let finish;
  const done = new Promise(r => { finish = r; });
  consumer.subscribe(topic, '*', async msg => {
    out({ event: 'msg', msgId: msg.msgId, body: msg.body.toString(), recvAt: Date.now() });
    finish();
  });
  await consumer.ready();
  while (consumer.processQueueTable.size === 0) await sleep(20);
  await sleep(300);  // let every queue's first pull reach the broker
  out({ event: 'ready', queues: consumer.processQueueTable.size });
  const before = pulls;
  await sleep(Number(idleMs));
  out({ event: 'idle', pulls: pulls - before, queues: consumer.processQueueTable.size });
  const timer = setTimeout(() => finish('timeout'), 30000);
  const why = await done;
  clearTimeout(timer);
  try { await consumer.close(); } catch (e) { logger.error(e); }
  if (why === 'timeout') process.exit(1);
}

async function invoke([brokerAddr, code]) {
  const RemotingCommand = require('ali-ons/lib/protocol/command/remoting_command');
  const producer = new Producer({ httpclient, logger, nameSrv: '127.0.0.1:1', producerGroup: 'INVOKE', instanceName: 'inv-' + process.pid });
  producer.on('error', () => {});
  const response = await producer._mqClient.invoke(brokerAddr, RemotingCommand.createRequestCommand(Number(code), {}), 3000);
  out({ event: 'response', code: response.code, remark: response.remark });
  try { await producer.close(); } catch (e) { /* no nameserver on purpose */ }
}

const [mode, ...args] = process.argv.slice(2);
const run = { produce, consume, watch, invoke }[mode];
if (!run) {
  process.stderr.write('usage: alions_driver.js produce|consume ...\n');
  process.exit(2);
}
run(args).then(() => process.exit(0), e => { logger.error(e); process.exit(1); });
