// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* init of the kernel-matrix initramfs (tests/kernels/run.sh): runs verifier_stats on
 * the BPF objects packed beside it, prints a marker line with its exit status and
 * powers the VM off. Static, no libc beyond what -static brings: the initramfs holds
 * nothing else.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>

int main(void)
{
	int status = 0;
	pid_t pid;

	mount("proc", "/proc", "proc", 0, NULL);
	pid = fork();
	if (pid == 0) {
		execl("/verifier_stats", "verifier_stats", "/xlb_xdp.bpf.o", "/xlb_decap.bpf.o",
		      (char *)NULL);
		perror("exec /verifier_stats");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = 126 << 8;
	printf("XLB-KERNELS-DONE status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
