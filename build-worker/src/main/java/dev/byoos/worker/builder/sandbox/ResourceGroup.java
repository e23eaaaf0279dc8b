package dev.byoos.worker.builder.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The cgroup one sandboxed run lives in: its memory and process count are capped by the kernel,
 * its CPU time is measured across all its processes, and a breach is read back from the kernel's
 * own counters. Created beside the worker's own cgroup (so the worker's limits still hold above
 * it) and removed afterwards. cgroup v2 (one hierarchy) where the host has it with the memory and
 * pids controllers, otherwise cgroup v1's memory, pids and cpuacct hierarchies; when the worker may
 * create neither (a read-only cgroup filesystem), {@link #NONE}: the sandbox then falls back to
 * rlimits and counting processes.
 */
abstract class ResourceGroup implements AutoCloseable {

    static final String MEMORY_LIMIT = "MEMORY_LIMIT";
    static final String PROCESS_LIMIT = "PROCESS_LIMIT";
    static final String CPU_LIMIT = "CPU_LIMIT";
    static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    /** No cgroup: nothing capped here. */
    static final ResourceGroup NONE = new ResourceGroup() {
        @Override
        List<Path> procsFiles() {
            return List.of();
        }

        @Override
        Optional<String> breached(SandboxLimits limits) {
            return Optional.empty();
        }

        @Override
        public void close() {
        }
    };

    /** The cgroup.procs files the run's first process writes its pid into before it becomes the sandbox. */
    abstract List<Path> procsFiles();

    /** @return the failure code of the limit the run broke, or empty */
    abstract Optional<String> breached(SandboxLimits limits);

    boolean capped() {
        return this != NONE;
    }

    /** Removes the cgroup once its processes are gone. */
    @Override
    public abstract void close();

    /**
     * A cgroup for one run with {@code limits}, on whatever the host offers.
     *
     * @param own the worker process's /proc/self/cgroup lines
     */
    static ResourceGroup create(Path root, List<String> own, SandboxLimits limits) {
        String name = "byoos-sandbox-" + UUID.randomUUID();
        try {
            if (Files.isRegularFile(root.resolve("cgroup.controllers"))) {
                return V2.create(root, ownPath(own, ""), name, limits);
            }
            if (Files.isDirectory(root.resolve("memory")) && Files.isDirectory(root.resolve("pids"))) {
                return V1.create(root, own, name, limits);
            }
        } catch (IOException | UncheckedIOException e) {
            // A read-only or undelegated cgroup filesystem: rlimits and the watchdog take over.
        }
        return NONE;
    }

    /** The worker's own cgroup path in the hierarchy whose controller list names {@code controller} ("" for v2). */
    static String ownPath(List<String> own, String controller) {
        for (String line : own) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && (controller.isEmpty() ? parts[0].equals("0") && parts[1].isEmpty()
                    : List.of(parts[1].split(",")).contains(controller))) {
                return parts[2];
            }
        }
        return "/";
    }

    /** The directory to create the run's cgroup in: the worker's own one when visible, else the hierarchy's root. */
    static Path parent(Path hierarchy, String ownPath) {
        Path own = hierarchy.resolve(ownPath.replaceFirst("^/+", ""));
        return Files.isDirectory(own) ? own : hierarchy;
    }

    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    /** A counter line {@code name N} in a flat-keyed cgroup file, 0 when absent. */
    static long counter(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(name)) {
                    return Long.parseLong(parts[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone with the cgroup, or not this kernel's format: nothing counted.
        }
        return 0;
    }

    static long number(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Removes the cgroup directories; a cgroup still holding a process (a moment after a kill) is retried. */
    static void remove(List<Path> directories) {
        for (Path directory : directories) {
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    Files.deleteIfExists(directory);
                    break;
                } catch (IOException e) {
                    sleep();
                }
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** cgroup v2: one directory with memory.max, memory.swap.max, pids.max; cpu.stat's usage_usec. */
    static final class V2 extends ResourceGroup {
        private final Path directory;

        private V2(Path directory) {
            this.directory = directory;
        }

        static V2 create(Path root, String ownPath, String name, SandboxLimits limits) throws IOException {
            Path directory = Files.createDirectory(parent(root, ownPath).resolve(name));
            try {
                write(directory.resolve("memory.max"), Long.toString(limits.memoryBytes()));
                write(directory.resolve("pids.max"), Integer.toString(limits.processes()));
                Path swap = directory.resolve("memory.swap.max");
                if (Files.exists(swap)) {
                    write(swap, "0");
                }
            } catch (IOException e) {
                remove(List.of(directory));
                throw e;
            }
            return new V2(directory);
        }

        @Override
        List<Path> procsFiles() {
            return List.of(directory.resolve("cgroup.procs"));
        }

        @Override
        Optional<String> breached(SandboxLimits limits) {
            if (counter(directory.resolve("memory.events"), "oom_kill") > 0) {
                return Optional.of(MEMORY_LIMIT);
            }
            if (counter(directory.resolve("pids.events"), "max") > 0) {
                return Optional.of(PROCESS_LIMIT);
            }
            if (counter(directory.resolve("cpu.stat"), "usage_usec") > limits.cpuTime().toNanos() / 1000) {
                return Optional.of(CPU_LIMIT);
            }
            return Optional.empty();
        }

        @Override
        public void close() {
            remove(List.of(directory));
        }
    }

    /** cgroup v1: one directory in each of the memory, pids and (when mounted) cpuacct hierarchies. */
    static final class V1 extends ResourceGroup {
        private final Path memory;
        private final Path pids;
        private final Optional<Path> cpuacct;

        private V1(Path memory, Path pids, Optional<Path> cpuacct) {
            this.memory = memory;
            this.pids = pids;
            this.cpuacct = cpuacct;
        }

        static V1 create(Path root, List<String> own, String name, SandboxLimits limits) throws IOException {
            List<Path> made = new ArrayList<>();
            try {
                Path memory = Files.createDirectory(parent(root.resolve("memory"), ownPath(own, "memory")).resolve(name));
                made.add(memory);
                Path pids = Files.createDirectory(parent(root.resolve("pids"), ownPath(own, "pids")).resolve(name));
                made.add(pids);
                Optional<Path> cpuacct = Optional.empty();
                if (Files.isRegularFile(root.resolve("cpuacct/cpuacct.usage"))) {
                    cpuacct = Optional.of(Files.createDirectory(
                            parent(root.resolve("cpuacct"), ownPath(own, "cpuacct")).resolve(name)));
                    made.add(cpuacct.get());
                }
                write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
                Path withSwap = memory.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(withSwap)) {
                    write(withSwap, Long.toString(limits.memoryBytes()));
                }
                write(pids.resolve("pids.max"), Integer.toString(limits.processes()));
                return new V1(memory, pids, cpuacct);
            } catch (IOException | RuntimeException e) {
                Collections.reverse(made);
                remove(made);
                throw e;
            }
        }

        @Override
        List<Path> procsFiles() {
            List<Path> files = new ArrayList<>(List.of(memory.resolve("cgroup.procs"), pids.resolve("cgroup.procs")));
            cpuacct.ifPresent(directory -> files.add(directory.resolve("cgroup.procs")));
            return files;
        }

        @Override
        Optional<String> breached(SandboxLimits limits) {
            if (counter(memory.resolve("memory.oom_control"), "oom_kill") > 0) {
                return Optional.of(MEMORY_LIMIT);
            }
            if (counter(pids.resolve("pids.events"), "max") > 0) {
                return Optional.of(PROCESS_LIMIT);
            }
            if (cpuacct.isPresent() && number(cpuacct.get().resolve("cpuacct.usage")) > limits.cpuTime().toNanos()) {
                return Optional.of(CPU_LIMIT);
            }
            return Optional.empty();
        }

        @Override
        public void close() {
            List<Path> directories = new ArrayList<>(List.of(memory, pids));
            cpuacct.ifPresent(directories::add);
            remove(directories);
        }
    }
}
