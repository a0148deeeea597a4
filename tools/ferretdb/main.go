// Command ferretdb serves the MongoDB wire protocol on an embedded SQLite store, for running the
// platform on one machine. It wraps FerretDB's embeddable package with the few flags the launcher
// needs and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
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
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start", "err", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go keepIDIndexes(ctx, *sqliteURL, 3*time.Second, logger)
	logger.Info("listening", "addr", *listen)
	if err := server.Run(ctx); err != nil {
		logger.Error("stopped with an error", "err", err)
		os.Exit(1)
	}
}
