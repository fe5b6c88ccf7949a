package auth_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/auth"
)

// An encrypted, authenticated publisher and subscriber. The publisher is
// the CURVE server: subscribers must know its public key, and it admits
// only the subscriber keys its authenticator allows. Start the
// authenticator before the sockets it guards.
func Example() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	a, err := auth.Start(f) // before any server socket
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	serverKeys, _ := zmq.NewCurveKeyPair() // in real life: auth.LoadCertificate
	subKeys, _ := zmq.NewCurveKeyPair()
	if err := a.AllowCurveKeys(subKeys.Public); err != nil { // or a.AllowCurveDir(dir)
		log.Fatal(err)
	}

	pub, err := f.NewPub(zmq.WithCurveServer(serverKeys.Secret))
	if err != nil {
		log.Fatal(err)
	}
	endpoint, err := pub.Bind("tcp://127.0.0.1:*")
	if err != nil {
		log.Fatal(err)
	}
	sub, err := f.NewSub(zmq.WithCurveClient(serverKeys.Public, subKeys), zmq.WithSubscribe("prices."))
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect(endpoint); err != nil {
		log.Fatal(err)
	}

	// A Pub drops what it sends before a subscriber is connected and
	// subscribed, so publish until the first message gets through.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pubCtx, stopPublishing := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() {
		defer close(published)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for pub.Publish(pubCtx, "prices.EURUSD", []byte("1.0842")) == nil {
			select {
			case <-pubCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	topic, body, err := sub.RecvTopic(ctx)
	stopPublishing()
	<-published
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s\n", topic, body)
	fmt.Println("subscribers admitted:", a.Stats().Accepted)
	// Output:
	// prices.EURUSD 1.0842
	// subscribers admitted: 1
}

// A Decider answers ZAP requests with the application's own logic: here a
// PLAIN server checks passwords against its own store and tags each
// approved peer's connection with metadata.
func ExampleAuthenticator_SetDecider() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	a, err := auth.Start(f)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	passwords := map[string]string{"carol": "from-the-vault"} // say, a database
	a.SetDecider(func(ctx context.Context, q *auth.Request) auth.Decision {
		if q.Mechanism == "PLAIN" && passwords[q.UserName] == q.Password && q.Password != "" {
			return auth.Decision{Status: auth.StatusOK, UserID: q.UserName, Metadata: map[string]string{"Tier": "gold"}}
		}
		return auth.Decision{Status: auth.StatusDenied, StatusText: "unknown user or password"}
	})

	pull, err := f.NewPull(zmq.WithPlainServer())
	if err != nil {
		log.Fatal(err)
	}
	endpoint, err := pull.Bind("tcp://127.0.0.1:*")
	if err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush(zmq.WithPlainClient("carol", "from-the-vault"))
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect(endpoint); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := push.Send(ctx, zmq.NewMsgString("hello")); err != nil {
		log.Fatal(err)
	}
	m, err := pull.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s from %s\n", m.Frames[0], m.UserID())
	// Output:
	// hello from carol
}
