/* The plain-pipes reference for write + expect round trips: fork/exec `cat`, then N
 * times write "x\n" and read until "x\n" is back. Prints "roundtrip <seconds> roundtrips_per_s=R". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    int in[2], out[2];
    if (pipe(in) || pipe(out)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0); dup2(out[1], 1);
        close(in[1]); close(out[0]);
        execlp("cat", "cat", (char *)NULL);
        _exit(127);
    }
    close(in[0]); close(out[1]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    char buf[64];
    for (int i = 0; i < n; i++) {
        if (write(in[1], "x\n", 2) != 2) return 1;
        int got = 0;
        while (got < 2) { ssize_t r = read(out[0], buf + got, sizeof buf - got); if (r <= 0) return 1; got += r; }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    close(in[1]);
    waitpid(pid, NULL, 0);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("roundtrip %.4f roundtrips_per_s=%.0f\n", s, n / s);
    return 0;
}
