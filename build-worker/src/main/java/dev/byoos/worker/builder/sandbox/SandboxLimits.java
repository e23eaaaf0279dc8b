package dev.byoos.worker.builder.sandbox;

import java.time.Duration;

/**
 * What one process tree run inside an image tree may use (configured as
 * {@code byoos.worker.sandbox.*}). Memory and process count are enforced by a cgroup of its own
 * when the worker may create one, otherwise by rlimits per process and a watchdog; CPU time by the
 * cgroup's accounting or, without one, by an rlimit per process; output, file and tree sizes by
 * the worker itself.
 *
 * @param memoryBytes  memory (resident, without swap) of all its processes together
 * @param processes    processes and threads alive at once
 * @param cpuTime      CPU time of all its processes together
 * @param fileBytes    the largest file it may write
 * @param outputBytes  what it may print
 * @param treeBytes    the image tree's apparent size after it
 * @param treeFiles    the image tree's entries (files, directories, links) after it
 */
public record SandboxLimits(long memoryBytes, int processes, Duration cpuTime, long fileBytes, long outputBytes,
        long treeBytes, long treeFiles) {

    /** Enough for a package manager installing a kernel, far from what one build may take from a shared worker. */
    public static SandboxLimits defaults() {
        return new SandboxLimits(2L << 30, 512, Duration.ofMinutes(30), 8L << 30, 64L << 20, 32L << 30, 2_000_000);
    }
}
