// Package client is the sync client: the App (its connection to the
// server, users and metadata) and, per open realm, a Realm with its local
// replica (engine/replica) and its sync session.
//
// Everything is single-threaded and event-driven from the env seams (timer
// callbacks and connection events); nothing blocks: operations that wait
// (log in, open with download, waits for upload or download) take a
// callback, called later from an env callback. The protocol is
// engine/protocol's (BIND, SERVER_IDENT, CLIENT_IDENT, DOWNLOAD, UPLOAD,
// MARK, UNBIND, ERROR, PING/PONG, LOGIN).
//
// When the server asks for a client reset, the session applies the
// realm's ClientResetConfig (reset.go): an automatic reset downloads a
// fresh copy under a new client file on the session's binding, makes the
// replica adopt it (discarding or recovering the unsynced changes) and
// syncs on; a manual one stops the session and hands the app a backup
// copy of the replica.
//
// Driving a client process:
//
//	host, _ := client.NewHost(clock, transport, storage, rand) // one per process
//	app, _ := client.NewApp(host, client.AppConfig{ID: "app", BaseURL: "server"})
//	app.LogIn(client.ProviderToken, "user:alice", func(u *client.User, err error) { ... })
//	app.Open(client.RealmConfig{Path: "/p", Schema: sch}, func(r *client.Realm, err error) { ... })
//	r.Write(func(tx *replica.Tx) error { return tx.Create("Dog", changeset.IntPK(1)) })
//	r.Session().Pause(); r.Session().Resume()
//	r.Session().WaitForUpload(0, func(err error) { ... })
//	host.Kill() // a crash; restart: NewHost on the same storage, NewApp, Open
package client
