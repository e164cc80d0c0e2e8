package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
)

const webhooksUsage = `usage:
  figbot webhooks list [--file KEY | --team ID | --project ID]
  figbot webhooks register (--file KEY | --team ID | --project ID) [--events E,E]
  figbot webhooks delete ID
The team defaults to FIGMA_TEAM_ID; events default to FILE_COMMENT,FILE_VERSION_UPDATE,
FILE_UPDATE. Needs FIGMA_TOKEN; register also PUBLIC_URL and FIGMA_WEBHOOK_PASSCODE.
`

const jobsUsage = `usage: figbot jobs requeue-archived [--queue critical|default|low]
Runs archived tasks again (all queues by default). Needs REDIS_URL.
`

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "help" }

// webhooksCmd lists, registers and deletes the bot's Figma webhooks.
func webhooksCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) {
		out, code := stderr, exitError
		if len(args) > 0 {
			out, code = stdout, exitOK
		}
		fmt.Fprint(out, webhooksUsage)
		return code
	}
	cfg, ok := loadConfig(configs.ModeTool, stderr)
	if !ok {
		return exitConfig
	}
	if cfg.Figma.Token == "" {
		fmt.Fprintln(stderr, "figbot: bad configuration: FIGMA_TOKEN: required by webhooks")
		return exitConfig
	}
	client := figma.NewClient(cfg.Figma.APIURL, figma.WithToken(cfg.Figma.Token.Value()),
		figma.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch args[0] {
	case "list":
		return webhooksList(ctx, client, cfg, args[1:], stdout, stderr)
	case "register":
		return webhooksRegister(ctx, client, cfg, args[1:], stdout, stderr)
	case "delete":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: figbot webhooks delete ID")
			return exitError
		}
		if err := client.DeleteWebhook(ctx, args[1]); err != nil {
			fmt.Fprintln(stderr, "figbot:", err)
			return exitError
		}
		fmt.Fprintln(stdout, "deleted", args[1])
		return exitOK
	}
	fmt.Fprintf(stderr, "figbot: unknown webhooks command %q\n", args[0])
	return exitError
}

// contextFlags reads --file, --team or --project; the team defaults to FIGMA_TEAM_ID.
func contextFlags(fs *flag.FlagSet, cfg configs.Config) func() (figma.WebhookContext, error) {
	file := fs.String("file", "", "Figma file key")
	team := fs.String("team", "", "Figma team id")
	project := fs.String("project", "", "Figma project id")
	return func() (figma.WebhookContext, error) {
		set := 0
		var c figma.WebhookContext
		for _, f := range []struct{ kind, id string }{{"file", *file}, {"team", *team},
			{"project", *project}} {
			if f.id != "" {
				set++
				c = figma.WebhookContext{Kind: f.kind, ID: f.id}
			}
		}
		if set == 0 && cfg.Figma.TeamID != "" {
			return figma.WebhookContext{Kind: "team", ID: cfg.Figma.TeamID}, nil
		}
		if set != 1 {
			return c, fmt.Errorf("give exactly one of --file, --team, --project")
		}
		return c, nil
	}
}

func webhooksList(ctx context.Context, client *figma.Client, cfg configs.Config, args []string,
	stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhooks list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	where := contextFlags(fs, cfg)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	c, err := where()
	if err != nil {
		fmt.Fprintln(stderr, "figbot:", err)
		return exitError
	}
	hooks, err := client.Webhooks(ctx, c)
	if err != nil {
		fmt.Fprintln(stderr, "figbot:", err)
		return exitError
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tSTATUS\tCONTEXT\tENDPOINT")
	for _, w := range hooks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\n", w.ID, w.EventType, w.Status, w.Context,
			w.ContextID, w.Endpoint)
	}
	_ = tw.Flush()
	return exitOK
}

func webhooksRegister(ctx context.Context, client *figma.Client, cfg configs.Config,
	args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhooks register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	where := contextFlags(fs, cfg)
	events := fs.String("events", strings.Join(queue.WebhookEvents, ","), "event types")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	c, err := where()
	if err != nil {
		fmt.Fprintln(stderr, "figbot:", err)
		return exitError
	}
	if cfg.HTTP.PublicURL == "" || cfg.Figma.WebhookPasscode == "" {
		fmt.Fprintln(stderr, "figbot: bad configuration: PUBLIC_URL and FIGMA_WEBHOOK_PASSCODE: "+
			"required by webhooks register")
		return exitConfig
	}
	for _, ev := range strings.Split(*events, ",") {
		w, err := client.CreateWebhook(ctx, figma.NewWebhook{EventType: strings.TrimSpace(ev),
			Context: c.Kind, ContextID: c.ID, Endpoint: cfg.HTTP.PublicURL + "/figma/webhook",
			Passcode: cfg.Figma.WebhookPasscode.Value(), Status: "ACTIVE",
			Description: "figbot"})
		if err != nil {
			fmt.Fprintf(stderr, "figbot: %s: %v\n", ev, err)
			return exitError
		}
		fmt.Fprintf(stdout, "created %s %s on %s %s\n", w.ID, w.EventType, c.Kind, c.ID)
	}
	return exitOK
}

// jobsCmd runs archived tasks again.
func jobsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (isHelp(args[0]) || (len(args) > 1 && isHelp(args[1]))) {
		fmt.Fprint(stdout, jobsUsage)
		return exitOK
	}
	if len(args) == 0 || args[0] != "requeue-archived" {
		fmt.Fprint(stderr, jobsUsage)
		return exitError
	}
	fs := flag.NewFlagSet("jobs requeue-archived", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("queue", "", "queue name (default: every queue)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	cfg, ok := loadConfig(configs.ModeTool, stderr)
	if !ok {
		return exitConfig
	}
	if cfg.Redis.Embedded() {
		fmt.Fprintln(stderr, "figbot: bad configuration: REDIS_URL: required by jobs")
		return exitConfig
	}
	opt, err := asynq.ParseRedisURI(cfg.Redis.URL.Value())
	if err != nil {
		fmt.Fprintln(stderr, "figbot: bad configuration: REDIS_URL:", err)
		return exitConfig
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	queues := []string{queue.QueueCritical, queue.QueueDefault, queue.QueueLow}
	if *only != "" {
		queues = []string{*only}
	}
	total := 0
	for _, q := range queues {
		n, err := insp.RunAllArchivedTasks(q)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			fmt.Fprintf(stderr, "figbot: queue %s: %v\n", q, err)
			return exitError
		}
		total += n
	}
	fmt.Fprintf(stdout, "requeued %d archived task(s)\n", total)
	return exitOK
}
