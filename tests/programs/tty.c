/*
 * Terminal semantics that need no person at the keyboard: the termios round
 * trip, canonical editing (ERASE, WERASE, KILL, EOF, EOL, LNEXT, CR/NL
 * translation), non-canonical reads in the four VMIN/VTIME cases, FIONREAD,
 * poll, the signal characters and their flush, the window size and
 * SIGWINCH, TCFLSH/TCXONC/TIOCOUTQ, the foreground process group and the
 * controlling terminal (TIOCSPGRP, TIOCSCTTY, TIOCNOTTY, /dev/tty), job
 * control (SIGTTIN, SIGTTOU, TOSTOP, orphaned groups) and the hangup when
 * the session leader exits.
 *
 * Input is injected with TIOCSTI, which runs the line discipline on a byte
 * as if it had been typed. On Linux the terminal is a pseudo-terminal
 * (posix_openpt); kestrel has no ptys, so there it is the serial console,
 * /dev/ttyS0 (made with mknod when /dev lacks it). Only what both kinds of
 * terminal do alike is checked (not echo, which would need the master side).
 * The tests run in a new session whose controlling terminal that is; if the
 * terminal already belongs to another session (a shell on the console), the
 * test says TCONF.
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

static char path[64];
static int fd = -1;
static volatile sig_atomic_t got[65];

static void on_signal(int sig)
{
	got[sig]++;
}

static void catch(int sig)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(sig, &sa, NULL);
	got[sig] = 0;
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Types `s` on the terminal. */
static void inject(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ioctl(fd, TIOCSTI, &s[i]) != 0)
			tfail("TIOCSTI of byte %zu: %s", i, errno_name(errno));
}
#define INJECT(lit) inject(lit, sizeof(lit) - 1)

static int inq(void)
{
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

/* The settings the checks start from: canonical, signals, no echo, ICRNL. */
static void base_mode(void)
{
	struct termios t;
	tcgetattr(fd, &t);
	t.c_iflag = ICRNL;
	t.c_oflag = OPOST | ONLCR;
	t.c_lflag = ISIG | ICANON | IEXTEN;
	t.c_cc[VINTR] = 3;
	t.c_cc[VQUIT] = 0x1c;
	t.c_cc[VERASE] = 0x7f;
	t.c_cc[VKILL] = 0x15;
	t.c_cc[VEOF] = 4;
	t.c_cc[VEOL] = 0;
	t.c_cc[VSUSP] = 0x1a;
	t.c_cc[VWERASE] = 0x17;
	t.c_cc[VLNEXT] = 0x16;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
		tfail("tcsetattr: %s", errno_name(errno));
}

static void set_flags(tcflag_t iflag, tcflag_t lflag, int vmin, int vtime)
{
	struct termios t;
	tcgetattr(fd, &t);
	t.c_iflag = iflag;
	t.c_lflag = lflag;
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	tcsetattr(fd, TCSANOW, &t);
}

/* Reads once and compares with `want`. */
static void expect_read(const char *what, size_t len, const char *want, size_t want_len)
{
	char buf[128] = {0};
	errno = 0;
	ssize_t n = read(fd, buf, len);
	if (n == (ssize_t)want_len && memcmp(buf, want, want_len) == 0)
		tpass("%s: read %zd bytes", what, n);
	else
		tfail("%s: read %zd (%s) \"%.*s\", expected %zu \"%.*s\"", what, n, errno_name(errno),
		      n > 0 ? (int)n : 0, buf, want_len, (int)want_len, want);
}
#define EXPECT_READ(what, len, lit) expect_read(what, len, lit, sizeof(lit) - 1)

static void check_settings(void)
{
	struct termios t, back;
	EXPECT_RET("isatty on the terminal", isatty(fd), 1);
	EXPECT_RET("TIOCGPGRP is our group", tcgetpgrp(fd), getpgrp());
	pid_t sid = -1;
	EXPECT_RET("TIOCGSID", ioctl(fd, TIOCGSID, &sid) == 0 && sid == getsid(0), 1);
	EXPECT_RET("TIOCSCTTY on our own terminal", ioctl(fd, TIOCSCTTY, 0), 0);
	int dt = open("/dev/tty", O_RDWR);
	EXPECT_RET("/dev/tty opens and is a terminal", dt >= 0 && isatty(dt), 1);
	close(dt);

	tcgetattr(fd, &t);
	t.c_iflag = ICRNL | IGNPAR;
	t.c_oflag = OPOST;
	t.c_lflag = ISIG | IEXTEN | ECHOE;
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 7;
	t.c_cc[VINTR] = 'x';
	EXPECT_RET("TCSETS", tcsetattr(fd, TCSANOW, &t), 0);
	memset(&back, 0, sizeof(back));
	tcgetattr(fd, &back);
	EXPECT_RET("TCGETS returns what TCSETS set",
		   back.c_iflag == t.c_iflag && back.c_oflag == t.c_oflag && back.c_lflag == t.c_lflag &&
			   back.c_cc[VMIN] == 3 && back.c_cc[VTIME] == 7 && back.c_cc[VINTR] == 'x',
		   1);
	EXPECT_RET("TCSETSW (tcsetattr TCSADRAIN)", tcsetattr(fd, TCSADRAIN, &t), 0);
	EXPECT_RET("TCSETSF (tcsetattr TCSAFLUSH)", tcsetattr(fd, TCSAFLUSH, &t), 0);
	EXPECT_ERRNO("TCGETS on a pipe", ({
			     int p[2];
			     pipe(p);
			     int r = tcgetattr(p[0], &back);
			     int e = errno;
			     close(p[0]);
			     close(p[1]);
			     errno = e;
			     r;
		     }),
		     ENOTTY);
	base_mode();
}

static void check_canonical(void)
{
	base_mode();
	INJECT("hello\n");
	EXPECT_RET("FIONREAD counts a finished line", inq(), 6);
	EXPECT_READ("a line", 100, "hello\n");
	INJECT("partial");
	EXPECT_RET("FIONREAD does not count an unfinished line", inq(), 0);
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_RET("poll: an unfinished line is not readable", poll(&p, 1, 0), 0);
	INJECT("\n");
	EXPECT_RET("poll: a finished line is", poll(&p, 1, 0) == 1 && (p.revents & POLLIN), 1);
	EXPECT_READ("the line once finished", 100, "partial\n");
	INJECT("hel\x7flo\n");
	EXPECT_READ("ERASE (DEL) removes a character", 100, "helo\n");
	INJECT("foo bar\x17" "baz\n");
	EXPECT_READ("WERASE removes a word", 100, "foo baz\n");
	INJECT("junk\x15ok\n");
	EXPECT_READ("KILL removes the line", 100, "ok\n");
	INJECT("\x15\x7f\n");
	EXPECT_READ("erasing an empty line does nothing", 100, "\n");
	INJECT("cr\r");
	EXPECT_READ("ICRNL turns CR into NL", 100, "cr\n");
	INJECT("abcdef\n");
	EXPECT_READ("a read smaller than the line", 3, "abc");
	EXPECT_READ("the rest of the line", 100, "def\n");
	INJECT("l1\nl2\n");
	EXPECT_READ("one line per read", 100, "l1\n");
	EXPECT_READ("then the next", 100, "l2\n");
	INJECT("\x04");
	EXPECT_READ("EOF at the start of a line reads 0", 100, "");
	INJECT("abc\x04");
	EXPECT_READ("EOF after text ends the line without itself", 100, "abc");
	INJECT("a\x16\x7f" "b\n");
	EXPECT_READ("LNEXT makes DEL literal", 100, "a\x7f" "b\n");

	struct termios t;
	tcgetattr(fd, &t);
	t.c_cc[VEOL] = ';';
	t.c_cc[VERASE] = 0x08;
	tcsetattr(fd, TCSANOW, &t);
	INJECT("ab\x08" "c;d\n");
	EXPECT_READ("^H as ERASE, and VEOL ends a line", 100, "ac;");
	EXPECT_READ("the line after VEOL", 100, "d\n");
	base_mode();

	set_flags(0, ISIG | ICANON | IEXTEN, 1, 0);
	INJECT("x\r\n");
	EXPECT_READ("without ICRNL, CR is data", 100, "x\r\n");
	set_flags(IGNCR, ISIG | ICANON | IEXTEN, 1, 0);
	INJECT("a\rb\n");
	EXPECT_READ("IGNCR drops CR", 100, "ab\n");
	set_flags(INLCR, ISIG | IEXTEN, 1, 0);
	INJECT("q\n");
	EXPECT_READ("INLCR turns NL into CR", 100, "q\r");
	base_mode();
}

/* A child of ours types `c` after `ms` milliseconds. */
static pid_t type_later(char c, int ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, ms * 1000000L};
		nanosleep(&ts, NULL);
		ioctl(fd, TIOCSTI, &c);
		_exit(0);
	}
	return pid;
}

static void check_noncanonical(void)
{
	struct timespec start;
	char buf[16];
	base_mode();
	set_flags(ICRNL, ISIG, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_RET("VMIN=0 VTIME=0 without input reads 0 at once", read(fd, buf, sizeof(buf)), 0);
	INJECT("xyz");
	EXPECT_RET("FIONREAD in non-canonical mode", inq(), 3);
	EXPECT_READ("VMIN=0 VTIME=0 takes what is there", 100, "xyz");

	set_flags(ICRNL, ISIG, 0, 2);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ssize_t n = read(fd, buf, sizeof(buf));
	long ms = ms_since(&start);
	if (n == 0 && ms >= 150 && ms < 5000)
		tpass("VMIN=0 VTIME=2 without input reads 0 after %ld ms", ms);
	else
		tfail("VMIN=0 VTIME=2: read %zd after %ld ms, expected 0 after about 200", n, ms);
	pid_t typist = type_later('t', 50);
	EXPECT_READ("VMIN=0 VTIME=2 returns the first byte typed", 100, "t");
	waitpid(typist, NULL, 0);

	set_flags(ICRNL, ISIG, 2, 0);
	INJECT("ab");
	EXPECT_READ("VMIN=2 VTIME=0 with two bytes there", 100, "ab");
	INJECT("ab");
	typist = type_later('c', 100);
	set_flags(ICRNL, ISIG, 3, 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_READ("VMIN=3 VTIME=0 waits for the third byte", 100, "abc");
	ms = ms_since(&start);
	EXPECT_RET("... which came later", ms >= 50, 1);
	waitpid(typist, NULL, 0);

	set_flags(ICRNL, ISIG, 5, 1);
	INJECT("abc");
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_READ("VMIN=5 VTIME=1 returns fewer bytes after the inter-byte time", 100, "abc");
	ms = ms_since(&start);
	EXPECT_RET("... of about 100 ms", ms >= 50 && ms < 5000, 1);

	set_flags(ICRNL, ISIG, 2, 0);
	INJECT("a");
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_RET("poll with VMIN=2 VTIME=0: one byte is not enough", poll(&p, 1, 0), 0);
	INJECT("b");
	EXPECT_RET("two are", poll(&p, 1, 0), 1);
	p.events = POLLOUT;
	EXPECT_RET("the terminal is writable", poll(&p, 1, 0) == 1 && (p.revents & POLLOUT), 1);
	tcflush(fd, TCIFLUSH);

	set_flags(ICRNL, ISIG, 1, 0);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	EXPECT_ERRNO("O_NONBLOCK without input", read(fd, buf, sizeof(buf)), EAGAIN);
	fcntl(fd, F_SETFL, fl);

	base_mode();
	INJECT("abc");
	set_flags(ICRNL, ISIG, 1, 0);
	EXPECT_RET("leaving canonical mode makes an unfinished line readable", inq(), 3);
	INJECT("de");
	set_flags(ICRNL, ISIG | ICANON, 1, 0);
	EXPECT_READ("entering canonical mode makes pending bytes a line", 100, "abcde");
	base_mode();
}

static void check_signal_chars(void)
{
	catch(SIGINT);
	catch(SIGQUIT);
	catch(SIGTSTP);
	set_flags(ICRNL, ISIG, 1, 0);
	INJECT("abc\x03");
	EXPECT_RET("^C sends SIGINT to the foreground group", got[SIGINT], 1);
	EXPECT_RET("and flushes the input", inq(), 0);
	INJECT("\x1c");
	EXPECT_RET("^\\ sends SIGQUIT", got[SIGQUIT], 1);
	INJECT("\x1a");
	EXPECT_RET("^Z sends SIGTSTP", got[SIGTSTP], 1);
	set_flags(ICRNL, ISIG | NOFLSH, 1, 0);
	INJECT("abc\x03");
	EXPECT_RET("with NOFLSH, SIGINT", got[SIGINT], 2);
	EXPECT_RET("and the input stays", inq(), 3);
	tcflush(fd, TCIFLUSH);
	set_flags(ICRNL, 0, 1, 0);
	INJECT("\x03");
	EXPECT_RET("without ISIG, ^C is no signal", got[SIGINT], 2);
	EXPECT_READ("but data", 100, "\x03");
	base_mode();
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
}

static void check_controls(void)
{
	catch(SIGWINCH);
	struct winsize ws = {.ws_row = 30, .ws_col = 100}, back = {0};
	EXPECT_RET("TIOCSWINSZ", ioctl(fd, TIOCSWINSZ, &ws), 0);
	EXPECT_RET("sends SIGWINCH to the foreground group", got[SIGWINCH], 1);
	ioctl(fd, TIOCGWINSZ, &back);
	EXPECT_RET("TIOCGWINSZ returns it", back.ws_row == 30 && back.ws_col == 100, 1);
	ioctl(fd, TIOCSWINSZ, &ws);
	EXPECT_RET("the same size again sends nothing", got[SIGWINCH], 1);

	base_mode();
	INJECT("abc\n");
	EXPECT_RET("TCFLSH TCIFLUSH", tcflush(fd, TCIFLUSH), 0);
	EXPECT_RET("leaves nothing to read", inq(), 0);
	EXPECT_RET("TCFLSH TCOFLUSH", tcflush(fd, TCOFLUSH), 0);
	EXPECT_RET("TCFLSH TCIOFLUSH", tcflush(fd, TCIOFLUSH), 0);
	EXPECT_ERRNO("TCFLSH with a bad argument", ioctl(fd, TCFLSH, 7), EINVAL);
	/* Our stdout may be this terminal (the console): print once restarted. */
	int off = tcflow(fd, TCOOFF);
	int on = tcflow(fd, TCOON);
	EXPECT_RET("TCXONC TCOOFF", off, 0);
	EXPECT_RET("TCXONC TCOON", on, 0);
	EXPECT_ERRNO("TCXONC with a bad argument", ioctl(fd, TCXONC, 9), EINVAL);
	int outq = -1;
	EXPECT_RET("TIOCOUTQ", ioctl(fd, TIOCOUTQ, &outq) == 0 && outq >= 0, 1);
	EXPECT_RET("tcdrain (TCSBRK 1)", tcdrain(fd), 0);

	EXPECT_RET("TIOCSPGRP to our own group", tcsetpgrp(fd, getpgrp()), 0);
	EXPECT_ERRNO("TIOCSPGRP to a negative group", ({
			     pid_t neg = -5;
			     ioctl(fd, TIOCSPGRP, &neg);
		     }),
		     EINVAL);
	pid_t nobody = 30000;
	while (kill(nobody, 0) == 0 || errno != ESRCH)
		nobody++;
	EXPECT_ERRNO("TIOCSPGRP to a group that does not exist", tcsetpgrp(fd, nobody), ESRCH);
	EXPECT_ERRNO("TIOCSPGRP to a group of another session", tcsetpgrp(fd, getpgid(getppid())), EPERM);
	int p[2];
	pipe(p);
	EXPECT_ERRNO("TIOCGPGRP on a pipe", tcgetpgrp(p[0]), ENOTTY);
	close(p[0]);
	close(p[1]);
}

/* Runs `body` in a child in a background group of ours; returns its status. */
static int in_background(void (*body)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		body();
		_exit(0);
	}
	setpgid(pid, pid);
	int status = 0;
	waitpid(pid, &status, WUNTRACED);
	if (WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return status;
}

static void bg_read(void)
{
	char c;
	_exit(read(fd, &c, 1) == -1 && errno == EIO ? 3 : 4);
}

static void bg_read_ignoring(void)
{
	signal(SIGTTIN, SIG_IGN);
	bg_read();
}

static void bg_write(void)
{
	_exit(write(fd, "\r", 1) == 1 ? 3 : 4);
}

static void bg_write_ignoring(void)
{
	signal(SIGTTOU, SIG_IGN);
	bg_write();
}

static void bg_setattr(void)
{
	struct termios t;
	tcgetattr(fd, &t);
	_exit(tcsetattr(fd, TCSANOW, &t) == 0 ? 3 : 4);
}

static void bg_take_foreground(void)
{
	signal(SIGTTOU, SIG_IGN);
	_exit(tcsetpgrp(fd, getpgrp()) == 0 ? 3 : 4);
}

static void expect_status(const char *what, int status, int stop_sig, int code)
{
	if (stop_sig ? (WIFSTOPPED(status) && WSTOPSIG(status) == stop_sig)
		     : (WIFEXITED(status) && WEXITSTATUS(status) == code))
		tpass("%s", what);
	else
		tfail("%s: wait status %#x", what, status);
}

static void check_job_control(void)
{
	base_mode();
	expect_status("a background read stops with SIGTTIN", in_background(bg_read), SIGTTIN, 0);
	expect_status("with SIGTTIN ignored it fails with EIO", in_background(bg_read_ignoring), 0, 3);
	expect_status("a background write without TOSTOP goes out", in_background(bg_write), 0, 3);
	expect_status("a background tcsetattr stops with SIGTTOU", in_background(bg_setattr), SIGTTOU, 0);
	struct termios t;
	tcgetattr(fd, &t);
	t.c_lflag |= TOSTOP;
	tcsetattr(fd, TCSANOW, &t);
	expect_status("with TOSTOP a background write stops with SIGTTOU", in_background(bg_write), SIGTTOU, 0);
	expect_status("unless SIGTTOU is ignored", in_background(bg_write_ignoring), 0, 3);
	base_mode();

	pid_t child = fork();
	if (child == 0) {
		setpgid(0, 0);
		bg_take_foreground();
	}
	setpgid(child, child);
	int status;
	waitpid(child, &status, 0);
	expect_status("a background group ignoring SIGTTOU may take the foreground", status, 0, 3);
	EXPECT_RET("it is the foreground group then", tcgetpgrp(fd), child);
	signal(SIGTTOU, SIG_IGN);
	EXPECT_RET("we take it back (ignoring SIGTTOU), as a shell does", tcsetpgrp(fd, getpgrp()), 0);
	signal(SIGTTOU, SIG_DFL);

	/* A group orphaned by its parent's exit reads EIO, not SIGTTIN. */
	int pipefd[2];
	pipe(pipefd);
	pid_t middle = fork();
	if (middle == 0) {
		pid_t mid = getpid();
		pid_t orphan = fork();
		if (orphan == 0) {
			setpgid(0, 0);
			close(pipefd[0]);
			while (getppid() == mid)
				usleep(10000);
			char c, r;
			r = read(fd, &c, 1) == -1 && errno == EIO ? 'y' : 'n';
			write(pipefd[1], &r, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(pipefd[1]);
	waitpid(middle, NULL, 0);
	char answer = 0;
	read(pipefd[0], &answer, 1);
	close(pipefd[0]);
	EXPECT_RET("a read from an orphaned background group fails with EIO", answer, 'y');

	child = fork();
	if (child == 0) {
		setsid();
		_exit(open("/dev/tty", O_RDWR) == -1 && errno == ENXIO ? 3 : 4);
	}
	waitpid(child, &status, 0);
	expect_status("/dev/tty in a session without a terminal is ENXIO", status, 0, 3);

	child = fork();
	if (child == 0) {
		int ok = ioctl(fd, TIOCNOTTY) == 0;
		ok = ok && tcgetpgrp(fd) == -1 && errno == ENOTTY;
		ok = ok && open("/dev/tty", O_RDWR) == -1 && errno == ENXIO;
		_exit(ok ? 3 : 4);
	}
	waitpid(child, &status, 0);
	expect_status("TIOCNOTTY by a member: it loses the terminal", status, 0, 3);
	EXPECT_RET("the session keeps it", tcgetpgrp(fd), getpgrp());

	catch(SIGHUP);
	catch(SIGCONT);
	EXPECT_RET("TIOCNOTTY by the session leader", ioctl(fd, TIOCNOTTY), 0);
	EXPECT_RET("sends SIGHUP and SIGCONT to the foreground group", got[SIGHUP] == 1 && got[SIGCONT] == 1, 1);
	EXPECT_ERRNO("then TIOCGPGRP", tcgetpgrp(fd), ENOTTY);
	EXPECT_ERRNO("and /dev/tty", open("/dev/tty", O_RDWR), ENXIO);
	EXPECT_RET("TIOCSCTTY takes it again", ioctl(fd, TIOCSCTTY, 0), 0);
	EXPECT_RET("our group is the foreground again", tcgetpgrp(fd), getpgrp());
	signal(SIGHUP, SIG_DFL);
	signal(SIGCONT, SIG_DFL);
}

/*
 * The session leader exits: its foreground group gets SIGHUP and the
 * session loses the terminal. A member of that group checks, and reports
 * through `report` ('y' or 'n').
 */
static void leave_hangup_check(int report)
{
	pid_t member = fork();
	if (member == 0) {
		catch(SIGHUP);
		for (int i = 0; i < 500 && !got[SIGHUP]; i++)
			usleep(10000);
		char r = got[SIGHUP] && open("/dev/tty", O_RDWR) == -1 && errno == ENXIO ? 'y' : 'n';
		write(report, &r, 1);
		_exit(0);
	}
	usleep(100000);
}

static int session_leader(int report)
{
	setsid();
	fd = open(path, O_RDWR);
	if (fd < 0) {
		tfail("open %s: %s", path, errno_name(errno));
		return tdone();
	}
	if (tcgetpgrp(fd) != getpgrp()) {
		tconf("%s is another session's terminal; run this test as init or under runltp", path);
		return tdone();
	}
	check_settings();
	check_canonical();
	check_noncanonical();
	check_signal_chars();
	check_controls();
	check_job_control();
	tcflush(fd, TCIOFLUSH);
	leave_hangup_check(report);
	return tdone();
}

static int find_terminal(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) {
		snprintf(path, sizeof(path), "%s", ptsname(master));
		return master;
	}
	/* No pseudo-terminals: the serial console. */
	if (access("/dev/ttyS0", F_OK) != 0 && mknod("/dev/ttyS0", S_IFCHR | 0660, makedev(4, 64)) != 0)
		return -2;
	snprintf(path, sizeof(path), "/dev/ttyS0");
	return -1;
}

int main(void)
{
	int master = find_terminal();
	if (master == -2) {
		tconf("no pseudo-terminal and no /dev/ttyS0");
		return tdone();
	}
	printf("tty: testing on %s\n", path);
	fflush(stdout);
	int report[2];
	pipe(report);
	pid_t leader = fork();
	if (leader == 0) {
		close(report[0]);
		_exit(session_leader(report[1]));
	}
	close(report[1]);
	int status = 0;
	waitpid(leader, &status, 0);
	EXPECT_RET("the session's checks passed", WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	char answer = 0;
	read(report[0], &answer, 1);
	if (answer == 0)
		tconf("the hangup check did not run");
	else
		EXPECT_RET("the session leader's exit: SIGHUP to the foreground group, terminal gone", answer, 'y');
	pid_t plain = fork();
	if (plain == 0) {
		/* No controlling terminal in a new session: nothing to hang up. */
		setsid();
		if (syscall(SYS_vhangup) != 0)
			_exit(1);
		setresuid(65534, 65534, 65534);
		_exit(syscall(SYS_vhangup) == -1 && errno == EPERM ? 0 : 2);
	}
	waitpid(plain, &status, 0);
	EXPECT_RET("vhangup: nothing to do without a terminal; EPERM unprivileged", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	if (master >= 0)
		close(master);
	return tdone();
}
