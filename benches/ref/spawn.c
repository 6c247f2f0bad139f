/* The machine's limit for the spawn workload: posix_spawn `true` N times, then
 * waitpid N times. Prints "spawn <seconds>". */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    pid_t *pids = malloc(sizeof(pid_t) * n);
    char *args[] = {"true", NULL};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        if (posix_spawnp(&pids[i], "true", NULL, NULL, args, environ) != 0) { perror("posix_spawn"); return 1; }
    for (int i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("spawn %.4f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
