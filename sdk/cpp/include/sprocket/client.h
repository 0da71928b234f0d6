// The Sprocket C++ client: everything an application needs in one include.
#pragma once

#include "sprocket/message.h"
#include "sprocket/mq_exception.h"
#include "sprocket/producer.h"
#include "sprocket/push_consumer.h"
#include "sprocket/send_result.h"
