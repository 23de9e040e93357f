package app

import (
	"fmt"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/destination/queue"
)

// newQueue builds a destination of one of config.QueueTypes. It does not
// connect: queue destinations connect on their first delivery.
func newQueue(d config.Destination) (destination.Destination, error) {
	switch d.Type {
	case "amqp":
		if d.AMQP == nil {
			return nil, fmt.Errorf("type amqp needs an amqp block")
		}
		return queue.NewAMQP(queue.AMQPConfig{
			URL:        d.AMQP.URL,
			Exchange:   d.AMQP.Exchange,
			RoutingKey: d.AMQP.RoutingKey,
			Headers:    d.Headers,
		})
	case "redis":
		r := d.Redis
		if r == nil {
			return nil, fmt.Errorf("type redis needs a redis block")
		}
		return queue.NewRedis(queue.RedisConfig{
			Addr:     r.Addr,
			Username: r.Username,
			Password: r.Password,
			DB:       r.DB,
			Stream:   r.Stream,
			List:     r.List,
			LeftPush: r.Push == "lpush",
			MaxLen:   r.MaxLen,
			Headers:  d.Headers,
		})
	case "beanstalkd":
		b := d.Beanstalkd
		if b == nil {
			return nil, fmt.Errorf("type beanstalkd needs a beanstalkd block")
		}
		cfg := queue.BeanstalkdConfig{Addr: b.Addr, Tube: b.Tube, Delay: b.Delay.D(), TTR: b.TTR.D()}
		if b.Priority != 0 {
			if b.Priority < 0 || b.Priority > 1<<32-1 {
				return nil, fmt.Errorf("priority %d: want 0 to 4294967295", b.Priority)
			}
			pri := uint32(b.Priority)
			cfg.Priority = &pri
		}
		return queue.NewBeanstalkd(cfg)
	case "nats":
		if d.NATS == nil {
			return nil, fmt.Errorf("type nats needs a nats block")
		}
		return queue.NewNATS(queue.NATSConfig{
			URL:     d.NATS.URL,
			Subject: d.NATS.Subject,
			Stream:  d.NATS.Stream,
			Headers: d.Headers,
		})
	case "sqs":
		s := d.SQS
		if s == nil {
			return nil, fmt.Errorf("type sqs needs an sqs block")
		}
		return queue.NewSQS(queue.SQSConfig{
			QueueURL:        s.QueueURL,
			Region:          s.Region,
			Endpoint:        s.Endpoint,
			AccessKeyID:     s.AccessKeyID,
			SecretAccessKey: s.SecretAccessKey,
			Headers:         d.Headers,
		})
	}
	return nil, fmt.Errorf("unknown type %q", d.Type)
}
