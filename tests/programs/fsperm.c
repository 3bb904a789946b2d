/*
 * Permission checks for a process that is not root: read/write/search bits
 * by owner, group and others, creating and removing names, sticky
 * directories, chmod/chown/utimensat rules, CAP_MKNOD, set-ID bits cleared
 * by a write, and access(2) checking the real ids. The parent (root) sets
 * up files; each check runs in a child that changed to uid 1000, gid 1000.
 */
#include "common.h"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define USER 1000
#define GROUP 1000

static char dir[64];

static void make(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	write(fd, "data", 4);
	close(fd);
	chown(name, uid, gid);
	chmod(name, mode);
}

static mode_t mode_of(const char *name)
{
	struct stat st;
	return stat(name, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Runs fn in a child with uid and gid 1000 and no supplementary groups. */
static void as_user(const char *what, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		t_failures = 0;
		if (setgroups(0, NULL) != 0 || setgid(GROUP) != 0 || setuid(USER) != 0) {
			tfail("cannot become uid %d: errno=%d %s", USER, errno, errno_name(errno));
			_exit(1);
		}
		fn();
		fflush(stdout);
		_exit(t_failures ? 1 : 0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("all checks of %s as uid %d", what, USER);
	else
		tfail("%s as uid %d: status %#x (the child's TFAIL lines say why)", what, USER, status);
}

static void user_access(void)
{
	EXPECT_ERRNO("read a 0600 file of root's", open("rootonly", O_RDONLY), EACCES);
	EXPECT_ERRNO("write a 0644 file of root's", open("public", O_WRONLY), EACCES);
	EXPECT_ERRNO("O_NOATIME on another's file", open("public", O_RDONLY | O_NOATIME), EPERM);
	int fd = open("public", O_RDONLY);
	EXPECT_RET("read a 0644 file of root's", fd >= 0, 1);
	close(fd);
	fd = open("groupwrite", O_WRONLY);
	EXPECT_RET("write a 0620 file of the caller's group", fd >= 0, 1);
	close(fd);
	EXPECT_ERRNO("owner bits come first: 0066 file of the caller's", open("ownerdenied", O_RDONLY), EACCES);
	struct stat st;
	EXPECT_ERRNO("stat below a 0700 directory of root's", stat("private/x", &st), EACCES);
	EXPECT_ERRNO("chdir into it", chdir("private"), EACCES);
	EXPECT_ERRNO("create in a 0755 directory of root's", open("rodir/new", O_CREAT | O_WRONLY, 0644), EACCES);
	EXPECT_ERRNO("mkdir there", mkdir("rodir/d", 0755), EACCES);
	EXPECT_ERRNO("unlink there", unlink("rodir/file"), EACCES);
	EXPECT_ERRNO("execute a 0644 file", execl("./public", "public", (char *)NULL), EACCES);
}

static void user_sticky(void)
{
	EXPECT_ERRNO("unlink another's file in a sticky directory", unlink("sticky/roots"), EPERM);
	EXPECT_ERRNO("rename another's file in a sticky directory", rename("sticky/roots", "sticky/x"), EPERM);
	int fd = open("sticky/mine", O_CREAT | O_WRONLY, 0644);
	close(fd);
	EXPECT_RET("unlink one's own file there", unlink("sticky/mine"), 0);
	EXPECT_RET("unlink another's file in a plain 0777 directory", unlink("open/roots"), 0);
	EXPECT_ERRNO("move a directory of root's to another parent", rename("open/rootdir", "sticky/rootdir"), EACCES);
}

static void user_attributes(void)
{
	EXPECT_ERRNO("chmod another's file", chmod("public", 0666), EPERM);
	EXPECT_ERRNO("chown one's file to another user", chown("mine", 0, -1), EPERM);
	EXPECT_ERRNO("chown one's file to a foreign group", chown("mine", -1, 0), EPERM);
	EXPECT_RET("chown one's file to one's own group", chown("mine", -1, GROUP), 0);
	EXPECT_RET("chmod one's own file", chmod("mine", 0640), 0);
	EXPECT_RET("set-group-ID is dropped for a foreign group", chmod("mine_foreign_group", 02755), 0);
	EXPECT_RET("its mode", mode_of("mine_foreign_group"), 0755);
	EXPECT_RET("utimensat(now) with write access to another's file", utimensat(AT_FDCWD, "world", NULL, 0), 0);
	struct timespec ts[2] = {{1, 0}, {1, 0}};
	EXPECT_ERRNO("explicit times on another's file", utimensat(AT_FDCWD, "world", ts, 0), EPERM);
	EXPECT_ERRNO("utimensat(now) without write access", utimensat(AT_FDCWD, "public", NULL, 0), EACCES);
	EXPECT_ERRNO("mknod of a device", mknod("dev", S_IFCHR | 0600, makedev(1, 3)), EPERM);
	EXPECT_RET("mkfifo is allowed", mkfifo("fifo", 0600), 0);
	unlink("fifo");
	int fd = open("setid", O_WRONLY);
	EXPECT_RET("write to a 06777 file of root's", write(fd, "x", 1), 1);
	close(fd);
	EXPECT_RET("the write cleared set-user-ID and set-group-ID", mode_of("setid"), 0777);
}

static void real_ids_access(void)
{
	EXPECT_ERRNO("access() checks the real uid", access("rootonly", R_OK), EACCES);
	EXPECT_RET("faccessat2(AT_EACCESS) the effective one",
		   syscall(SYS_faccessat2, AT_FDCWD, "rootonly", R_OK, AT_EACCESS), 0);
	int fd = open("rootonly", O_RDONLY);
	EXPECT_RET("open uses the effective uid", fd >= 0, 1);
	close(fd);
}

int main(void)
{
	strcpy(dir, "/tmp/fspermXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	chmod(dir, 0777);
	make("rootonly", 0600, 0, 0);
	make("public", 0644, 0, 0);
	make("world", 0666, 0, 0);
	make("groupwrite", 0620, 0, GROUP);
	make("ownerdenied", 0066, USER, GROUP);
	make("mine", 0644, USER, GROUP);
	make("mine_foreign_group", 0644, USER, 0);
	make("setid", 06777, 0, 0);
	mkdir("private", 0700);
	make("private/x", 0644, 0, 0);
	mkdir("rodir", 0755);
	make("rodir/file", 0644, 0, 0);
	mkdir("sticky", 0);
	chmod("sticky", 01777);
	make("sticky/roots", 0644, 0, 0);
	mkdir("open", 0);
	chmod("open", 0777);
	make("open/roots", 0644, 0, 0);
	mkdir("open/rootdir", 0755);

	as_user("access bits", user_access);
	as_user("sticky directories", user_sticky);
	as_user("attribute changes", user_attributes);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		t_failures = 0;
		/* Real uid 1000, effective and saved uid 0. */
		if (setresuid(USER, 0, 0) != 0)
			_exit(2);
		real_ids_access();
		fflush(stdout);
		_exit(t_failures ? 1 : 0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the real-id child passed", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);

	const char *files[] = {"rootonly", "public", "world", "groupwrite", "ownerdenied", "mine",
			       "mine_foreign_group", "setid", "private/x", "rodir/file", "sticky/roots"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		unlink(files[i]);
	const char *dirs[] = {"private", "rodir", "sticky", "open/rootdir", "open"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		rmdir(dirs[i]);
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
	return tdone();
}
