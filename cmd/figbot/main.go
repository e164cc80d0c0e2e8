// Command figbot is the Figma ⇄ Bitrix24 chat bot. See README.md and CONTRACT.md for the
// subcommands; this file only wires configuration, logging and signals.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/configs"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes of the contract.
const (
	exitOK     = 0
	exitError  = 1
	exitConfig = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "all"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "all":
		return serve(configs.ModeAll, app.RoleAll, stderr)
	case "serve":
		return serve(configs.ModeServe, app.RoleServe, stderr)
	case "worker":
		return serve(configs.ModeWorker, app.RoleWorker, stderr)
	case "demo":
		return demo(stdout, stderr)
	case "webhooks":
		return webhooksCmd(args, stdout, stderr)
	case "jobs":
		return jobsCmd(args, stdout, stderr)
	case "load":
		return loadCmd(args, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "figbot", buildVersion())
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "figbot: unknown command %q\n%s", cmd, usage)
	return exitError
}

// buildVersion is the -ldflags version, else what the Go toolchain recorded of the build: the
// module version, or the VCS revision and whether the tree was modified.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		return "dev-" + rev[:12] + dirty
	}
	return version
}

const usage = `usage: figbot [command]
  all (default)   HTTP server and worker in one process
  serve           HTTP server only (needs REDIS_URL)
  worker          queue worker and scheduler only (needs REDIS_URL)
  demo            the whole flow against built-in fakes; needs nothing
  webhooks list|register|delete   manage the bot's Figma webhooks
  jobs requeue-archived [--queue Q]   run archived tasks again
  load [--url U --kind figma|b24|mix --rate N --duration D]   drive a running bot (loopback)
  version         print the version

Configuration comes from the environment (see README.md); a bad value exits 2.
Exit codes: 0 success, 2 bad configuration, 1 anything else.
`

// loadConfig reads the environment for mode; a bad value exits 2 with every problem named.
func loadConfig(mode configs.Mode, stderr io.Writer) (configs.Config, bool) {
	cfg, err := configs.Load(os.Getenv, mode)
	var cerr *configs.Error
	if errors.As(err, &cerr) {
		for _, p := range cerr.Problems {
			fmt.Fprintln(stderr, "figbot: bad configuration:", p)
		}
		return cfg, false
	}
	return cfg, true
}

func newLogger(cfg configs.Log, out io.Writer) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(out)
	if lvl, err := logrus.ParseLevel(cfg.Level); err == nil {
		l.SetLevel(lvl)
	}
	if cfg.Format == "json" {
		l.SetFormatter(&logrus.JSONFormatter{})
	}
	return logrus.NewEntry(l)
}

// serve runs a long-lived role until SIGINT or SIGTERM, then shuts down in order.
func serve(mode configs.Mode, role app.Role, stderr io.Writer) int {
	cfg, ok := loadConfig(mode, stderr)
	if !ok {
		return exitConfig
	}
	log := newLogger(cfg.Log, stderr)
	a, err := app.New(cfg, log, app.Options{Role: role})
	if err != nil {
		log.WithError(err).Error("cannot start")
		return exitError
	}
	if err := a.Start(); err != nil {
		log.WithError(err).Error("cannot start")
		a.Shutdown(context.Background())
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.Shutdown(sctx)
	return exitOK
}
