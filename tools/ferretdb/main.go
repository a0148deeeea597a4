// Command ferretdb serves the MongoDB wire protocol on an embedded SQLite store, for running the
// platform on one machine. It wraps FerretDB's embeddable package with the few flags the launcher
// needs, makes each document update atomic as on MongoDB (serial_updates.go), keeps `_id` lookups
// indexed (id_index.go), formats log attributes only for records it writes (lazy_log.go), collects
// garbage less often (gc.go) and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI of the folder holding one file per database")
	level := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	var logLevel slog.Level
	if err := logLevel.UnmarshalText([]byte(*level)); err != nil {
		slog.Error("invalid -log-level", "value", *level)
		os.Exit(2)
	}
	logger := slog.New(newLazyHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})))
	tuneGarbageCollector()
	url, err := withStorePragmas(*sqliteURL)
	if err != nil {
		logger.Error("invalid -sqlite-url", "value", *sqliteURL, "err", err)
		os.Exit(2)
	}
	os.Exit(run(*listen, url, logger))
}

func run(listen, sqliteURL string, logger *slog.Logger) int {
	// FerretDB itself listens on a private socket; clients reach it through the relay.
	socketDir, err := os.MkdirTemp("", "parley-ferretdb-")
	if err != nil {
		logger.Error("cannot make a socket folder", "err", err)
		return 1
	}
	defer os.RemoveAll(socketDir)
	socket := filepath.Join(socketDir, "ferretdb.sock")

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	served := make(chan error, 1)
	go func() { served <- server.Run(ctx) }()
	dial := dialUnix(socket, 30*time.Second)
	// The public port opens only once FerretDB answers, so an open port means a ready store.
	probe, err := dial(ctx)
	if err != nil {
		logger.Error("FerretDB did not come up", "err", err)
		return 1
	}
	_ = probe.Close()

	listener, err := net.Listen("tcp", listen)
	if err != nil {
		logger.Error("cannot listen", "addr", listen, "err", err)
		return 1
	}
	go keepIDIndexes(ctx, sqliteURL, 3*time.Second, logger)
	relayed := make(chan error, 1)
	go func() { relayed <- (&relay{dial: dial, logger: logger}).serve(ctx, listener) }()
	logger.Info("listening", "addr", listen)

	code := 0
	select {
	case err := <-served:
		if err != nil && ctx.Err() == nil {
			logger.Error("stopped with an error", "err", err)
			code = 1
		}
		cancel()
		<-relayed
	case err := <-relayed:
		if err != nil {
			logger.Error("relay stopped with an error", "err", err)
			code = 1
		}
		cancel()
		<-served
	}
	return code
}
