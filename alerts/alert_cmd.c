/*
 * The alert commands of the multi-call binary:
 *   osemon alert test|flush|list [-c FILE]
 *   osemon ack CHECK [--sticky] [--expire TIME] -m TEXT [-c FILE]
 *   osemon downtime CHECK START END [-m TEXT] [-c FILE]
 * Without -c they use the embedded default config, like `osemon run`.
 * Exit codes: 0 done, 1 not delivered / not all delivered, 2 usage or
 * configuration error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "command.h"
#include "config.h"
#include "deliver.h"
#include "mail.h"
#include "runtime.h"
#include "spool.h"
#include "util.h"

struct cli {
	const char *config;
	bool sticky;
	const char *expire;
	const char *message;
	const char *operands[4];
	size_t noperands;
};

static int
cli_parse(
    int argc, char **argv, struct cli *cli, bool ack_opts, const char *usage)
{
	memset(cli, 0, sizeof(*cli));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) &&
		    i + 1 < argc) {
			cli->config = argv[++i];
		} else if ((strcmp(a, "-m") == 0 ||
			       strcmp(a, "--message") == 0) &&
		    i + 1 < argc) {
			cli->message = argv[++i];
		} else if (ack_opts && strcmp(a, "--sticky") == 0) {
			cli->sticky = true;
		} else if (ack_opts && strcmp(a, "--expire") == 0 &&
		    i + 1 < argc) {
			cli->expire = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("Usage: osemon %s\n", usage);
			return 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr,
			    "osemon %s: unknown option or missing "
			    "value: %s\nUsage: osemon %s\n",
			    argv[0], a, usage);
			return -1;
		} else if (cli->noperands < 4) {
			cli->operands[cli->noperands++] = a;
		} else {
			fprintf(
			    stderr, "osemon %s: too many operands\n", argv[0]);
			return -1;
		}
	}
	return 0;
}

/* Load the config (or the embedded default) and the alerts part of it. */
static int
cli_load(const char *cmd, const char *path, struct cfg **cfg,
    struct alerts_conf *conf)
{
	struct cfg_errors errs;
	char err[2048];
	char *text = NULL;
	int rc = -1;

	*cfg = NULL;
	cfg_errors_init(&errs);
	if (path != NULL) {
		(void)cfg_load_file(path, cfg, &errs);
	} else {
		text = collector_default_config();
		if (text != NULL)
			(void)cfg_load_string(text, "<default>", cfg, &errs);
	}
	if (cfg_errors_total(&errs) > 0 || *cfg == NULL) {
		cfg_errors_print(&errs, stderr);
		if (*cfg == NULL)
			fprintf(stderr, "osemon %s: cannot load %s\n", cmd,
			    path != NULL ? path : "the default config");
		goto out;
	}
	if (alerts_conf_read(*cfg, NULL, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "osemon %s: %s\n", cmd, err);
		goto out;
	}
	rc = 0;
out:
	free(text);
	cfg_errors_free(&errs);
	if (rc != 0) {
		cfg_free(*cfg);
		*cfg = NULL;
	}
	return rc;
}

static int
cli_spool_dir(const struct alerts_conf *conf, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/spool", conf->state_dir);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int
alert_test(const char *path)
{
	struct cfg *cfg = NULL;
	struct alerts_conf conf;
	struct mail_event ev;
	struct mail_ctx ctx;
	char spool[PATH_MAX], name[SPOOL_NAME_MAX], err[512],
	    msgid[MAIL_ID_MAX];
	char to[4096], details[512];
	char *mail = NULL;
	size_t len = 0, tl = 0;
	int rc = 2, r;

	memset(&conf, 0, sizeof(conf));
	if (cli_load("alert", path, &cfg, &conf) != 0)
		goto out;
	if (!conf.enabled) {
		fprintf(stderr,
		    "osemon alert: %s has no [smtp] section: "
		    "alerts are off\n",
		    cfg->name);
		goto out;
	}
	printf("config: %s: %zu server(s), starttls %s, %s, %zu "
	       "recipient(s)\n",
	    cfg->name, conf.smtp.nservers,
	    conf.smtp.starttls == SMTP_STARTTLS_REQUIRED       ? "required"
		: conf.smtp.starttls == SMTP_STARTTLS_OPTIONAL ? "optional"
							       : "off",
	    conf.smtp.user[0] != '\0' ? "AUTH" : "no AUTH", conf.nto);
	if (conf.smtp.user[0] != '\0') {
		if (secret_check_mode(
			conf.smtp.password_file, err, sizeof(err)) != 0) {
			printf("password-file: FAILED: %s\n", err);
			goto out;
		}
		printf("password-file: ok\n");
	}
	to[0] = '\0';
	for (size_t i = 0; i < conf.nto; i++)
		str_appendf(
		    to, sizeof(to), &tl, "%s%s", i ? ", " : "", conf.to[i]);
	memset(&ev, 0, sizeof(ev));
	ev.type = NOTIFY_TEST;
	str_copy(ev.check, "alert-test", sizeof(ev.check));
	ev.state = ev.old_state = STATE_OK;
	ev.since = time(NULL);
	str_copy(ev.note,
	    "This is a test mail sent by `osemon alert test`: "
	    "alert mails from this host reach you.",
	    sizeof(ev.note));
	snprintf(details, sizeof(details), "Config: %s\nSpool: %s/spool\n",
	    cfg->name, conf.state_dir);
	ev.details = details;
	memset(&ctx, 0, sizeof(ctx));
	ctx.host = conf.host;
	ctx.from = conf.smtp.from;
	ctx.to = to;
	ctx.graph_url = conf.graph_url;
	ctx.now = time(NULL);
	mail_message_id(conf.host, msgid, sizeof(msgid));
	if (mail_format(&ctx, &ev, 1, msgid, &mail, &len) != 0 ||
	    cli_spool_dir(&conf, spool, sizeof(spool)) != 0) {
		fprintf(stderr, "osemon alert: cannot format the test mail\n");
		goto out;
	}
	if (spool_write(
		spool, mail, len, name, sizeof(name), err, sizeof(err)) != 0) {
		printf("spool: FAILED: %s\n", err);
		goto out;
	}
	printf("spool: %s/%s\n", spool, name);
	r = deliver_spool_child(&conf, spool, true, name, stdout, "");
	if (r == 0) {
		printf("result: test mail delivered\n");
		rc = 0;
	} else if (r == 2) {
		printf("result: test mail delivered, but some recipients were "
		       "refused (see above); it is not retried for them\n");
		rc = 1;
	} else {
		printf("result: test mail NOT delivered; it stays in the spool "
		       "as %s and the collector retries it\n",
		    name);
		rc = 1;
	}
out:
	free(mail);
	alerts_conf_free(&conf);
	cfg_free(cfg);
	return rc;
}

static int
alert_flush(const char *path, bool list_only)
{
	struct cfg *cfg = NULL;
	struct alerts_conf conf;
	char spool[PATH_MAX];
	char **names = NULL;
	long n = 0;
	int rc = 2;

	memset(&conf, 0, sizeof(conf));
	if (cli_load("alert", path, &cfg, &conf) != 0)
		goto out;
	if (cli_spool_dir(&conf, spool, sizeof(spool)) != 0)
		goto out;
	if (list_only) {
		n = spool_list(spool, &names);
		if (n < 0) {
			fprintf(stderr, "osemon alert: cannot read %s: %s\n",
			    spool, strerror(errno));
			goto out;
		}
		for (long i = 0; i < n; i++) {
			struct spool_meta m;

			if (spool_meta_read(spool, names[i], &m) != 0)
				memset(&m, 0, sizeof(m));
			printf("%s attempts=%u next-try=%lld%s%s\n", names[i],
			    m.attempts, (long long)m.next_try,
			    m.error[0] ? " error=" : "", m.error);
		}
		printf("%ld mail(s) spooled in %s\n", n, spool);
		rc = 0;
		goto out;
	}
	if (!conf.enabled) {
		fprintf(stderr, "osemon alert: %s has no [smtp] section\n",
		    cfg->name);
		goto out;
	}
	rc = deliver_spool_child(&conf, spool, true, NULL, stdout, "");
	printf("result: %s\n",
	    rc == 0       ? "spool empty"
		: rc == 2 ? "spool empty, some recipients refused"
			  : "some mails stay spooled");
	rc = rc == 0 ? 0 : 1;
out:
	spool_names_free(names, n < 0 ? 0 : n);
	alerts_conf_free(&conf);
	cfg_free(cfg);
	return rc;
}

int
alert_main(int argc, char **argv)
{
	static const char usage[] = "alert test|flush|list [-c FILE]";
	struct cli cli;
	int r = cli_parse(argc, argv, &cli, false, usage);

	if (r != 0)
		return r > 0 ? 0 : 2;
	if (cli.noperands != 1) {
		fprintf(stderr, "Usage: osemon %s\n", usage);
		return 2;
	}
	if (strcmp(cli.operands[0], "test") == 0)
		return alert_test(cli.config);
	if (strcmp(cli.operands[0], "flush") == 0)
		return alert_flush(cli.config, false);
	if (strcmp(cli.operands[0], "list") == 0)
		return alert_flush(cli.config, true);
	fprintf(stderr,
	    "osemon alert: unknown subcommand '%s'\nUsage: "
	    "osemon %s\n",
	    cli.operands[0], usage);
	return 2;
}

/* Append one command line to STATE_DIR/alerts.cmd with a single write. */
static int
cli_hand_over(const char *cmd_name, struct alert_cmd *cmd, const char *path)
{
	struct cfg *cfg = NULL;
	struct alerts_conf conf;
	char file[PATH_MAX], line[ALERT_CMD_LINE_MAX];
	int fd = -1, rc = 2;
	ssize_t w;

	memset(&conf, 0, sizeof(conf));
	if (cli_load(cmd_name, path, &cfg, &conf) != 0)
		goto out;
	if (cfg_find(cfg, "check", cmd->check) == NULL) {
		fprintf(stderr, "osemon %s: no [check %s] in %s\n", cmd_name,
		    cmd->check, cfg->name);
		goto out;
	}
	for (char *p = cmd->text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (alert_cmd_format(cmd, line, sizeof(line)) != 0) {
		fprintf(stderr,
		    "osemon %s: check name or text cannot be "
		    "written (';' in the name, or too long)\n",
		    cmd_name);
		goto out;
	}
	if (snprintf(file, sizeof(file), "%s/alerts.cmd", conf.state_dir) >=
		(int)sizeof(file) ||
	    mkdir_p(conf.state_dir, 0755) != 0) {
		fprintf(stderr, "osemon %s: cannot use state-dir %s: %s\n",
		    cmd_name, conf.state_dir, strerror(errno));
		goto out;
	}
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "osemon %s: cannot open %s: %s\n", cmd_name,
		    file, strerror(errno));
		goto out;
	}
	w = write(fd, line, strlen(line));
	if (w != (ssize_t)strlen(line) || fsync(fd) != 0) {
		fprintf(stderr, "osemon %s: cannot write %s: %s\n", cmd_name,
		    file, strerror(errno));
		goto out;
	}
	printf("%s", line);
	printf("handed to the collector through %s\n", file);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	alerts_conf_free(&conf);
	cfg_free(cfg);
	return rc;
}

int
ack_main(int argc, char **argv)
{
	static const char usage[] =
	    "ack CHECK [--sticky] [--expire TIME] -m TEXT [-c FILE]";
	struct alert_cmd cmd;
	struct cli cli;
	time_t now = time(NULL);
	int r = cli_parse(argc, argv, &cli, true, usage);

	if (r != 0)
		return r > 0 ? 0 : 2;
	if (cli.noperands != 1 || cli.message == NULL) {
		fprintf(stderr, "Usage: osemon %s\n", usage);
		return 2;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = ALERT_CMD_ACK;
	cmd.issued = now;
	cmd.sticky = cli.sticky;
	if (strlen(cli.operands[0]) >= sizeof(cmd.check) ||
	    strlen(cli.message) >= sizeof(cmd.text)) {
		fprintf(stderr, "osemon ack: check name or text too long\n");
		return 2;
	}
	str_copy(cmd.check, cli.operands[0], sizeof(cmd.check));
	str_copy(cmd.text, cli.message, sizeof(cmd.text));
	if (cli.expire != NULL &&
	    (alert_parse_time(cli.expire, now, &cmd.expire) != 0 ||
		cmd.expire <= now)) {
		fprintf(stderr,
		    "osemon ack: --expire: '%s' is not a future "
		    "time (now, +30m, +2h, +1d, EPOCH, 'YYYY-MM-DD HH:MM')\n",
		    cli.expire);
		return 2;
	}
	return cli_hand_over("ack", &cmd, cli.config);
}

int
downtime_main(int argc, char **argv)
{
	static const char usage[] =
	    "downtime CHECK START END [-m TEXT] [-c FILE]";
	struct alert_cmd cmd;
	struct cli cli;
	time_t now = time(NULL);
	int r = cli_parse(argc, argv, &cli, false, usage);

	if (r != 0)
		return r > 0 ? 0 : 2;
	if (cli.noperands != 3) {
		fprintf(stderr, "Usage: osemon %s\n", usage);
		return 2;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = ALERT_CMD_DOWNTIME;
	cmd.issued = now;
	if (strlen(cli.operands[0]) >= sizeof(cmd.check) ||
	    (cli.message != NULL && strlen(cli.message) >= sizeof(cmd.text))) {
		fprintf(stderr,
		    "osemon downtime: check name or text too "
		    "long\n");
		return 2;
	}
	str_copy(cmd.check, cli.operands[0], sizeof(cmd.check));
	str_copy(
	    cmd.text, cli.message != NULL ? cli.message : "", sizeof(cmd.text));
	if (alert_parse_time(cli.operands[1], now, &cmd.start) != 0 ||
	    alert_parse_time(cli.operands[2], now, &cmd.end) != 0) {
		fprintf(stderr,
		    "osemon downtime: START and END are times: "
		    "now, +30m, +2h, +1d, EPOCH or 'YYYY-MM-DD HH:MM'\n");
		return 2;
	}
	if (cmd.end <= cmd.start || cmd.end <= now) {
		fprintf(stderr,
		    "osemon downtime: END must be after START and "
		    "in the future\n");
		return 2;
	}
	return cli_hand_over("downtime", &cmd, cli.config);
}
