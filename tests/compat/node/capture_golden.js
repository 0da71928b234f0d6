'use strict';
// Captures raw request frames sent by ali-ons (pinned in package.json) and writes them as
// hex into ../golden/*.hex. Run by hand (`npm install && node capture_golden.js`); the C++
// tests only read the committed .hex files.
//
// A single loopback TCP server on an ephemeral port plays both the nameserver and the
// broker: the route it returns points the client back at itself. It answers just enough
// for ali-ons to get through producer start, one send with tag + keys, consumer start and
// one long-poll pull. Each golden file holds one complete frame, 4-byte length prefix
// included, as a single line of lowercase hex.

const fs = require('fs');
const net = require('net');
const path = require('path');
const { Producer, Consumer, Message } = require('ali-ons');

const GOLDEN_DIR = path.join(__dirname, '..', 'golden');
const TOPIC = 'GoldenTopic';
const PRODUCER_GROUP = 'GoldenProducerGroup';
const CONSUMER_GROUP = 'GoldenConsumerGroup';

// code -> [file name, predicate on the decoded request]; the first match is kept.
const WANTED = {
  105: ['get_routeinfo_by_topic', req => req.header.extFields.topic === TOPIC],
  34: ['heart_beat', req => req.body && req.body.toString().includes('"consumerDataSet":[{')],
  310: ['send_message_v2', () => true],
  11: ['pull_message', req => req.header.extFields.topic === TOPIC],
  38: ['get_consumer_list_by_group', () => true],
  14: ['query_consumer_offset', () => true],
};
const captured = {};
let clientIds = [];

function encodeResponse(req, code, extFields, body) {
  const header = { code, flag: 1, language: 'JAVA', opaque: req.header.opaque, version: 409 };
  if (extFields) header.extFields = extFields;
  const h = Buffer.from(JSON.stringify(header));
  const b = body ? Buffer.from(body) : Buffer.alloc(0);
  const out = Buffer.alloc(8 + h.length + b.length);
  out.writeInt32BE(4 + h.length + b.length, 0);
  out.writeInt32BE(h.length, 4);
  h.copy(out, 8);
  b.copy(out, 8 + h.length);
  return out;
}

function answer(req, port) {
  const ext = req.header.extFields || {};
  switch (req.header.code) {
    case 105: // legacy fastjson route: bare numeric brokerAddrs key
      return encodeResponse(req, 0, null,
        `{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:${port}"},"brokerName":"broker-a",` +
        '"cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a",' +
        '"perm":6,"readQueueNums":1,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":1}]}');
    case 34: {
      const hb = JSON.parse(req.body.toString());
      if (!clientIds.includes(hb.clientID)) clientIds.push(hb.clientID);
      return encodeResponse(req, 0, null, null);
    }
    case 38:
      return encodeResponse(req, 0, null, JSON.stringify({ consumerIdList: clientIds }));
    case 14:
      return encodeResponse(req, 0, { offset: '0' }, null);
    case 30:
      return encodeResponse(req, 0, { offset: '0' }, null);
    case 310:
      return encodeResponse(req, 0, {
        msgId: '7F00000100002A9F0000000000000000', queueId: String(ext.e), queueOffset: '0',
        MSG_REGION: 'DefaultRegion', TRACE_ON: 'true',
      }, null);
    case 11: // nothing new; a real broker would hold this, answering at once is enough here
      return encodeResponse(req, 19, {
        suggestWhichBrokerId: '0', nextBeginOffset: String(ext.queueOffset), minOffset: '0',
        maxOffset: '0',
      }, null);
    default:
      return encodeResponse(req, 3, null, null);
  }
}

function record(req, frame) {
  const want = WANTED[req.header.code];
  if (!want || captured[want[0]] || !want[1](req)) return;
  captured[want[0]] = frame.toString('hex');
  console.log(`captured ${want[0]} (${frame.length} bytes): ${req.header.json}`);
}

function startServer() {
  return new Promise(resolve => {
    const server = net.createServer(sock => {
      let buf = Buffer.alloc(0);
      sock.on('data', data => {
        buf = Buffer.concat([buf, data]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const len = buf.readInt32BE(0);
          const frame = buf.subarray(0, 4 + len);
          buf = buf.subarray(4 + len);
          const hdrLen = frame.readInt32BE(4) & 0xffffff;
          const json = frame.subarray(8, 8 + hdrLen).toString();
          const req = { header: JSON.parse(json), body: frame.subarray(8 + hdrLen) };
          req.header.json = json;
          record(req, Buffer.from(frame));
          if (req.header.flag & 2) continue; // oneway: no answer
          sock.write(answer(req, server.address().port));
        }
      });
      sock.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const server = await startServer();
  const port = server.address().port;
  const base = {
    httpclient: { request() { throw new Error('unused'); } },
    nameSrv: `127.0.0.1:${port}`,
    rebalanceInterval: 1000,
    pollNameServerInteval: 1000,
    persistConsumerOffsetInterval: 1000,
  };

  const producer = new Producer({ ...base, producerGroup: PRODUCER_GROUP, instanceName: 'golden-p' });
  producer.on('error', () => {});
  await producer.ready();
  const msg = new Message(TOPIC, 'TagA', Buffer.from('Hello golden frame'));
  msg.keys = [ 'key1', 'key2' ];
  const result = await producer.send(msg);
  console.log('send result', result.sendStatus, result.msgId);

  const consumer = new Consumer({ ...base, consumerGroup: CONSUMER_GROUP, instanceName: 'golden-c' });
  consumer.on('error', () => {});
  consumer.subscribe(TOPIC, 'TagA || TagB', async () => {});
  await consumer.ready();

  const deadline = Date.now() + 20000;
  while (Object.keys(WANTED).some(c => !captured[WANTED[c][0]]) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  fs.mkdirSync(GOLDEN_DIR, { recursive: true });
  for (const [ name, hex ] of Object.entries(captured)) {
    fs.writeFileSync(path.join(GOLDEN_DIR, `${name}.hex`), hex + '\n');
  }
  const missing = Object.values(WANTED).map(w => w[0]).filter(n => !captured[n]);
  if (missing.length) console.error('missing:', missing.join(', '));
  process.exit(missing.length ? 1 : 0);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
