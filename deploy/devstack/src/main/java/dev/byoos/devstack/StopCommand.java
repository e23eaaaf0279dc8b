package dev.byoos.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** {@code stop --data-dir DIR}: SIGTERM to the stack's JVM, then wait for it to exit. */
final class StopCommand {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(90);

    private StopCommand() {
    }

    static int run(String[] args) throws IOException {
        CommandLine commandLine = CommandLine.parse(args, 1, Set.of("data-dir"), Set.of());
        DataDir dataDir = new DataDir(commandLine.requiredPath("data-dir"));
        Optional<ProcessHandle> stack = runningStack(dataDir);
        if (stack.isEmpty()) {
            if (Files.deleteIfExists(dataDir.endpointsFile())) {
                System.out.println("devstack: no stack running on " + dataDir.root() + " (removed a stale "
                        + Endpoints.FILE_NAME + ")");
            } else {
                System.out.println("devstack: no stack running on " + dataDir.root());
            }
            return Main.EXIT_OK;
        }
        long pid = stack.get().pid();
        System.out.println("devstack: stopping the stack on " + dataDir.root() + " (pid " + pid + ")");
        Processes.terminate(stack.get(), STOP_TIMEOUT, "the dev stack");
        System.out.println("devstack: stopped");
        return Main.EXIT_OK;
    }

    /**
     * The JVM running a stack on the directory: the pid in endpoints.properties or, while the stack
     * is still starting, the one in its lock file. Only a live {@code java} process counts, so a
     * recycled pid is never signalled.
     */
    static Optional<ProcessHandle> runningStack(DataDir dataDir) throws IOException {
        Optional<ProcessHandle> fromEndpoints = dataDir.recordedPid().flatMap(pid -> Processes.live(pid, "java"));
        if (fromEndpoints.isPresent()) {
            return fromEndpoints;
        }
        if (!dataDir.isLocked()) {
            return Optional.empty();
        }
        Path lockFile = dataDir.lockFile();
        return Processes.readPid(lockFile).flatMap(pid -> Processes.live(pid, "java"));
    }
}
