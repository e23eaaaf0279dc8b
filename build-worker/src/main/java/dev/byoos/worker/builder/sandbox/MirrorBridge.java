package dev.byoos.worker.builder.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.byoos.worker.builder.core.BuildException;

/**
 * A network namespace whose only reachable address is {@code 127.0.0.1:}{@value #PORT}, carried by
 * socat to the {@link MirrorProxy}'s Unix socket. A package installation's sandbox joins this
 * namespace: it can reach the proxy, and through it the allowed mirrors, and nothing else (no
 * route, no DNS, none of the worker's loopback services). socat itself runs in a bubblewrap
 * sandbox of its own with no capabilities; it is the Debian package's binary, not the image's. No
 * user namespace: a pod's masked /proc forbids mounting a fresh one inside a new user namespace.
 */
final class MirrorBridge implements AutoCloseable {

    static final int PORT = 3128;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    /** 127.0.0.1:3128 in LISTEN state, as /proc/net/tcp spells it. */
    private static final String LISTENING = "0100007F:0C38 00000000:0000 0A";

    private final Process bwrap;
    private final long namespaceHolder;

    private MirrorBridge(Process bwrap, long namespaceHolder) {
        this.bwrap = bwrap;
        this.namespaceHolder = namespaceHolder;
    }

    static MirrorBridge start(Path proxySocket) {
        Path directory = proxySocket.getParent();
        Process bwrap;
        try {
            bwrap = new ProcessBuilder("bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc",
                    "--unshare-uts", "--die-with-parent", "--new-session",
                    "--ro-bind", "/", "/", "--bind", directory.toString(), directory.toString(),
                    "--dev", "/dev", "--proc", "/proc", "--cap-drop", "ALL", "--",
                    "socat", "TCP-LISTEN:" + PORT + ",bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:" + proxySocket)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "TOOL_MISSING",
                    "cannot run bwrap for the package mirror bridge: " + e.getMessage() + " (is bubblewrap installed?)", e);
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && bwrap.isAlive()) {
            Optional<ProcessHandle> socat = bwrap.descendants()
                    .filter(process -> process.info().command().map(command -> command.endsWith("/socat")).orElse(false))
                    .findFirst();
            if (socat.isPresent() && listening(socat.get().pid())) {
                return new MirrorBridge(bwrap, socat.get().pid());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        kill(bwrap);
        throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "SANDBOX_FAILED",
                "the package mirror bridge (bwrap and socat) did not start listening within " + READY_TIMEOUT.toSeconds()
                        + " s" + (bwrap.isAlive() ? "" : ", it exited with " + bwrap.exitValue()) + " (is socat installed?)",
                null);
    }

    private static boolean listening(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "tcp")).stream()
                    .anyMatch(line -> line.contains(LISTENING));
        } catch (IOException e) {
            return false;
        }
    }

    /** The command prefix that runs a command in the bridge's network namespace. */
    List<String> enter() {
        return List.of("nsenter", "--net=/proc/" + namespaceHolder + "/ns/net", "--");
    }

    @Override
    public void close() {
        kill(bwrap);
    }

    private static void kill(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
