/*
 * blast: the load sender for scripts/bench.
 *
 * usage: blast PATH COUNT SIZE blocking|nonblocking [MAX_SECS]
 *
 * Connects to PATH (retrying for up to 10 s while the receiver starts) and sends COUNT StatsD
 * counter lines "bench.m<k>:1|c|#pad:xxx", each padded to exactly SIZE bytes. Blocking: a full
 * receive queue makes the send wait. Non-blocking: EAGAIN counts as dropped. Any other error
 * (EPIPE once the receiver shut down for reading, ECONNREFUSED once it closed) ends the run
 * and that send is not counted. With PACK=L in the environment each datagram instead carries L
 * DogStatsD counter lines "bench.p<m>:1|c|#env:bench,host:h<j>" (about 1000 series) and SIZE
 * is ignored; with MAPNAMES=1 as well, the lines carry names shaped for the mapping benchmark
 * instead: "svc<i>.ep<j>.requests" (i below 900), every tenth "regsvc<i>.x.latency" (i below
 * 100), every twentieth "other.m<j>" (no rule matches). With RETRY=1 in the environment a failed send (EPIPE, ECONNREFUSED, ENOENT: the
 * receiver restarting) is counted as a sender error episode, the socket is reconnected and the
 * same line sent again, as an emitting library would; COUNT 0 then means "until SIGTERM".
 * Prints
 *   tx=<sent> dropped=<n> err=<none|EPIPE|...> t0=<s> t1=<s> lines=<n> errors=<episodes>
 *   maxstall_ms=<longest time one line took to be accepted>
 * with t0/t1 in CLOCK_MONOTONIC seconds, comparable across processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "none";
	case EPIPE: return "EPIPE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENOENT: return "ENOENT";
	default: return "other";
	}
}

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int open_connected(const struct sockaddr_un *addr, int blocking, double give_up)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
	while (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		if ((errno != ENOENT && errno != ECONNREFUSED) || mono() > give_up || stop_requested) {
			close(fd);
			return -1;
		}
		usleep(1000);
	}
	if (blocking) {
		/* wake now and then to honour MAX_SECS and SIGTERM */
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s PATH COUNT SIZE blocking|nonblocking [MAX_SECS]\n", argv[0]);
		return 2;
	}
	long long count = atoll(argv[2]);
	int size = atoi(argv[3]);
	int blocking = strcmp(argv[4], "blocking") == 0;
	double max_secs = argc == 6 ? atof(argv[5]) : 60.0;
	if (size < 24 || size > 65000 || count < 0) {
		fprintf(stderr, "blast: need COUNT >= 0 and 24 <= SIZE <= 65000\n");
		return 2;
	}
	char *msg[16];
	int len[16];
	int pack = getenv("PACK") ? atoi(getenv("PACK")) : 0;
	int mapnames = getenv("MAPNAMES") && atoi(getenv("MAPNAMES")) == 1;
	for (int k = 0; k < 16; k++) {
		if (pack > 0) {
			msg[k] = malloc((size_t)pack * 48 + 1);
			int n = 0;
			for (int j = 0; j < pack; j++) {
				int idx = k * pack + j;
				if (!mapnames)
					n += sprintf(msg[k] + n, "bench.p%d:1|c|#env:bench,host:h%d\n",
						     idx % 125, j % 8);
				else if (idx % 20 == 19)
					n += sprintf(msg[k] + n, "other.m%d:1|c|#env:bench\n", idx % 50);
				else if (idx % 10 == 9)
					n += sprintf(msg[k] + n, "regsvc%d.x.latency:1|c|#env:bench\n",
						     idx % 100);
				else
					n += sprintf(msg[k] + n, "svc%d.ep%d.requests:1|c|#env:bench\n",
						     (idx * 7) % 900, idx % 7);
			}
			len[k] = n;
			continue;
		}
		msg[k] = malloc((size_t)size);
		int n = snprintf(msg[k], (size_t)size, "bench.m%d:1|c|#pad:", k);
		memset(msg[k] + n, 'x', (size_t)(size - n));
		len[k] = size;
	}

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "blast: path too long\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	int retry = getenv("RETRY") && atoi(getenv("RETRY")) == 1;
	if (retry && count == 0)
		count = (long long)1 << 62;
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	int fd = open_connected(&addr, blocking, mono() + 10.0);
	if (fd < 0) {
		perror("blast: connect");
		return 1;
	}

	long long sent = 0, dropped = 0, episodes = 0;
	int error = 0, failing = 0;
	double maxstall = 0, since = mono();
	double t0 = mono(), deadline = t0 + max_secs;
	for (long long i = 0; i < count && !stop_requested;) {
		ssize_t n = send(fd, msg[i & 15], (size_t)len[i & 15], MSG_NOSIGNAL);
		if (n == len[i & 15]) {
			double now = mono();
			if (now - since > maxstall)
				maxstall = now - since;
			since = now;
			failing = 0;
			sent++;
			i++;
		} else if (n < 0 && retry && (errno == EPIPE || errno == ECONNREFUSED
					      || errno == ENOENT || errno == ENOTCONN)) {
			if (!failing)
				episodes++;
			failing = 1;
			close(fd);
			fd = open_connected(&addr, blocking, mono() + 60.0);
			if (fd < 0)
				break;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!blocking) {
				dropped++;
				i++;
			} else if (mono() > deadline) {
				break;
			}
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			error = n < 0 ? errno : EMSGSIZE;
			break;
		}
		if ((i & 1023) == 0 && mono() > deadline)
			break;
	}
	double t1 = mono();
	printf("tx=%lld dropped=%lld err=%s t0=%.6f t1=%.6f lines=%d errors=%lld maxstall_ms=%.1f\n",
	       sent, dropped, err_name(error), t0, t1, pack > 0 ? pack : 1, episodes,
	       maxstall * 1000);
	return 0;
}
