/*
 * inotify: the events of a watched file (open, access, modify, attrib,
 * close after writing or not) and of a watched directory's entries
 * (create, moved from/to with one cookie, delete, IN_ISDIR), a watched
 * file's last link going (IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED),
 * IN_ONESHOT, inotify_rm_watch's IN_IGNORED, one watch descriptor per
 * inode, IN_MASK_CREATE, FIONREAD, poll, a queue overflowing at
 * max_queued_events, and the errnos.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define DIR_PATH "/tmp/inotify.d"

static char events[8192];
static int count, at;

/* Reads what is queued; the events are then taken with next(). */
static void fetch(int fd)
{
	count = read(fd, events, sizeof(events));
	at = 0;
}

static struct inotify_event *next(void)
{
	if (at >= count)
		return NULL;
	struct inotify_event *e = (struct inotify_event *)(events + at);
	at += sizeof(*e) + e->len;
	return e;
}

/* The next event is `mask` (and `name` if not NULL). */
static int is(struct inotify_event *e, unsigned mask, const char *name)
{
	return e && e->mask == mask && (name == NULL ? e->len == 0 : strcmp(e->name, name) == 0);
}

static void check_file_events(int in)
{
	int fd = open(DIR_PATH "/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
	close(fd);
	int wd = inotify_add_watch(in, DIR_PATH "/f", IN_ALL_EVENTS);
	EXPECT_RET("inotify_add_watch of a file", wd > 0, 1);
	EXPECT_RET("the same file again: the same watch", inotify_add_watch(in, DIR_PATH "/f", IN_ALL_EVENTS), wd);
	fd = open(DIR_PATH "/f", O_RDWR);
	write(fd, "abc", 3);
	lseek(fd, 0, SEEK_SET);
	char c;
	read(fd, &c, 1);
	fchmod(fd, 0600);
	close(fd);
	fd = open(DIR_PATH "/f", O_RDONLY);
	close(fd);
	fetch(in);
	EXPECT_RET("IN_OPEN", is(next(), IN_OPEN, NULL), 1);
	EXPECT_RET("IN_MODIFY", is(next(), IN_MODIFY, NULL), 1);
	EXPECT_RET("IN_ACCESS", is(next(), IN_ACCESS, NULL), 1);
	EXPECT_RET("IN_ATTRIB", is(next(), IN_ATTRIB, NULL), 1);
	EXPECT_RET("IN_CLOSE_WRITE", is(next(), IN_CLOSE_WRITE, NULL), 1);
	EXPECT_RET("IN_OPEN again", is(next(), IN_OPEN, NULL), 1);
	EXPECT_RET("IN_CLOSE_NOWRITE", is(next(), IN_CLOSE_NOWRITE, NULL), 1);
	EXPECT_RET("nothing more", next() == NULL, 1);
	EXPECT_RET("inotify_rm_watch", inotify_rm_watch(in, wd), 0);
	fetch(in);
	struct inotify_event *e = next();
	EXPECT_RET("IN_IGNORED for it", e && e->wd == wd && e->mask == IN_IGNORED, 1);
	EXPECT_ERRNO("inotify_rm_watch of it again", inotify_rm_watch(in, wd), EINVAL);
}

static void check_directory_events(int in)
{
	int wd = inotify_add_watch(in, DIR_PATH, IN_CREATE | IN_DELETE | IN_MOVE | IN_OPEN | IN_CLOSE);
	int fd = open(DIR_PATH "/new", O_CREAT | O_WRONLY, 0644);
	close(fd);
	rename(DIR_PATH "/new", DIR_PATH "/renamed");
	mkdir(DIR_PATH "/sub", 0755);
	unlink(DIR_PATH "/renamed");
	rmdir(DIR_PATH "/sub");
	fetch(in);
	EXPECT_RET("IN_CREATE with the name", is(next(), IN_CREATE, "new"), 1);
	EXPECT_RET("IN_OPEN of the child", is(next(), IN_OPEN, "new"), 1);
	EXPECT_RET("IN_CLOSE_WRITE of the child", is(next(), IN_CLOSE_WRITE, "new"), 1);
	struct inotify_event *from = next(), *to = next();
	EXPECT_RET("IN_MOVED_FROM the old name", is(from, IN_MOVED_FROM, "new"), 1);
	EXPECT_RET("IN_MOVED_TO the new name", is(to, IN_MOVED_TO, "renamed"), 1);
	EXPECT_RET("one cookie for both", from && to && from->cookie == to->cookie && from->cookie != 0, 1);
	EXPECT_RET("IN_CREATE|IN_ISDIR for mkdir", is(next(), IN_CREATE | IN_ISDIR, "sub"), 1);
	EXPECT_RET("IN_DELETE", is(next(), IN_DELETE, "renamed"), 1);
	EXPECT_RET("IN_DELETE|IN_ISDIR for rmdir", is(next(), IN_DELETE | IN_ISDIR, "sub"), 1);
	inotify_rm_watch(in, wd);
	fetch(in);
}

static void check_self_and_oneshot(int in)
{
	int fd = open(DIR_PATH "/gone", O_CREAT | O_WRONLY, 0644);
	close(fd);
	int wd = inotify_add_watch(in, DIR_PATH "/gone", IN_ALL_EVENTS);
	unlink(DIR_PATH "/gone");
	fetch(in);
	EXPECT_RET("unlink: IN_ATTRIB (the link count)", is(next(), IN_ATTRIB, NULL), 1);
	EXPECT_RET("IN_DELETE_SELF", is(next(), IN_DELETE_SELF, NULL), 1);
	struct inotify_event *e = next();
	EXPECT_RET("IN_IGNORED: the watch ended", e && e->mask == IN_IGNORED && e->wd == wd, 1);
	EXPECT_ERRNO("so it cannot be removed", inotify_rm_watch(in, wd), EINVAL);

	fd = open(DIR_PATH "/once", O_CREAT | O_WRONLY, 0644);
	wd = inotify_add_watch(in, DIR_PATH "/once", IN_MODIFY | IN_ONESHOT);
	write(fd, "a", 1);
	write(fd, "b", 1);
	close(fd);
	fetch(in);
	EXPECT_RET("IN_ONESHOT: one IN_MODIFY", is(next(), IN_MODIFY, NULL), 1);
	EXPECT_RET("then IN_IGNORED", is(next(), IN_IGNORED, NULL), 1);
	EXPECT_RET("and nothing more", next() == NULL, 1);
	int dir = inotify_add_watch(in, DIR_PATH, IN_CREATE);
	EXPECT_ERRNO("IN_MASK_CREATE on a watched inode", inotify_add_watch(in, DIR_PATH, IN_CREATE | IN_MASK_CREATE),
		     EEXIST);
	inotify_rm_watch(in, dir);
	fetch(in);
}

static void check_queue(int in)
{
	int fd = open(DIR_PATH "/q", O_CREAT | O_WRONLY, 0644);
	int wd = inotify_add_watch(in, DIR_PATH "/q", IN_MODIFY | IN_CLOSE_WRITE);
	write(fd, "x", 1);
	write(fd, "y", 1);
	int queued = -1;
	EXPECT_RET("FIONREAD", ioctl(in, FIONREAD, &queued), 0);
	EXPECT_RET("two equal events in a row are one", queued, (int)sizeof(struct inotify_event));
	struct pollfd p = {in, POLLIN, 0};
	EXPECT_RET("poll: readable", poll(&p, 1, 0) == 1 && (p.revents & POLLIN), 1);
	char small[8];
	EXPECT_ERRNO("a buffer smaller than an event", read(in, small, sizeof(small)), EINVAL);
	fetch(in);
	close(fd);
	inotify_rm_watch(in, wd);
	fetch(in);
	/* An instance made while max_queued_events is 4 holds 4 events. */
	char old[32] = "";
	int limit = open("/proc/sys/fs/inotify/max_queued_events", O_RDWR);
	read(limit, old, sizeof(old) - 1);
	lseek(limit, 0, SEEK_SET);
	write(limit, "4", 1);
	int small_queue = inotify_init1(IN_NONBLOCK);
	lseek(limit, 0, SEEK_SET);
	write(limit, old, strlen(old));
	close(limit);
	inotify_add_watch(small_queue, DIR_PATH "/q", IN_MODIFY | IN_CLOSE_WRITE);
	for (int i = 0; i < 6; i++) {
		fd = open(DIR_PATH "/q", O_WRONLY);
		write(fd, "z", 1);
		close(fd);
	}
	fetch(small_queue);
	struct inotify_event *e, *last = NULL;
	int n = 0;
	while ((e = next())) {
		last = e;
		n++;
	}
	EXPECT_RET("past max_queued_events: four events, then IN_Q_OVERFLOW with wd -1",
		   last && last->mask == IN_Q_OVERFLOW && last->wd == -1 && n == 5, 1);
	close(small_queue);
}

int main(void)
{
	proc_mount_if_needed();
	mkdir("/tmp", 01777);
	mkdir(DIR_PATH, 0755);
	EXPECT_ERRNO("inotify_init1 with an unknown flag", inotify_init1(1), EINVAL);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	EXPECT_RET("inotify_init1(IN_NONBLOCK|IN_CLOEXEC)", in >= 0, 1);
	EXPECT_RET("close-on-exec", fcntl(in, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	char buf[64];
	EXPECT_ERRNO("reading an empty queue", read(in, buf, sizeof(buf)), EAGAIN);
	EXPECT_ERRNO("a watch with no event", inotify_add_watch(in, DIR_PATH, 0), EINVAL);
	EXPECT_ERRNO("a watch through a descriptor that is no inotify", inotify_add_watch(0, DIR_PATH, IN_CREATE), EINVAL);
	close(open(DIR_PATH "/plain", O_CREAT | O_WRONLY, 0644));
	EXPECT_ERRNO("IN_ONLYDIR on a file", inotify_add_watch(in, DIR_PATH "/plain", IN_CREATE | IN_ONLYDIR), ENOTDIR);
	EXPECT_ERRNO("a missing path", inotify_add_watch(in, DIR_PATH "/missing", IN_CREATE), ENOENT);
	unlink(DIR_PATH "/plain");
	check_file_events(in);
	check_directory_events(in);
	check_self_and_oneshot(in);
	check_queue(in);
	close(in);
	return tdone();
}
