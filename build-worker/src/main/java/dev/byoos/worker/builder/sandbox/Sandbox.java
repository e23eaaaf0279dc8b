package dev.byoos.worker.builder.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Runs a command inside an image tree with bubblewrap: its own mount, PID, IPC, UTS, cgroup and
 * network namespaces; the tree as its root and no other host path; a fresh minimal /dev (null, zero,
 * full, random, urandom, tty), its own /proc, read-only (root without capabilities may still write
 * much of /proc/sys, which is the kernel's, not the namespace's), and no /sys; a clean environment; and only the capabilities a package manager needs to own and set
 * up files ({@link #CAPABILITIES}: no mounts, modules, raw I/O, devices, tracing, network
 * administration). When the command ends, bubblewrap's init ends and the kernel kills whatever it
 * left in its PID namespace. Memory, processes and CPU time are capped per run by a cgroup of its own
 * ({@link ResourceGroup}), output by the worker, file size by an rlimit, and the tree's size and
 * entry count are checked after every run.
 *
 * <p>Why bubblewrap: it is a small, maintained, setuid-free tool built for exactly this (Flatpak and
 * osbuild run untrusted build stages in it), it is a Debian package, and it takes the whole policy on
 * its command line, so the worker states it in one place. systemd-nspawn wants a booted systemd
 * host and its own machine registry; unshare(1) leaves /dev, /proc and capability dropping to us.
 *
 * <p>Network: {@link Network#NONE} (scripts) has a network namespace with only a loopback device;
 * {@link Network#PACKAGE_MIRRORS} (package installation) joins a {@link MirrorBridge} whose only
 * exit is the worker's {@link MirrorProxy}, which lets through the allowed mirror hosts alone (through
 * the organisation's proxy, when the worker has one: {@link PackageNetwork}).
 *
 * <p>No user namespace: the worker runs as root, and mapping the tree's root to root changes
 * nothing, while mapping it to another user would leave the package manager unable to own files as
 * the packages ask. Dropped capabilities and the namespaces are the boundary.
 */
public final class Sandbox {

    /** What the run may reach over the network. */
    public enum Network {
        /** Nothing: a loopback device of its own. */
        NONE,
        /** The allowed package mirrors through the worker's proxy, at {@link #PROXY_URL}. */
        PACKAGE_MIRRORS
    }

    /** Where a {@link Network#PACKAGE_MIRRORS} run finds the proxy. */
    public static final String PROXY_URL = "http://127.0.0.1:" + MirrorBridge.PORT;
    /** Owning and setting up files as packages and scripts need; nothing that reaches past the tree. */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_SYS_CHROOT");
    public static final String TREE_TOO_LARGE = "TREE_TOO_LARGE";
    public static final String TREE_TOO_MANY_FILES = "TREE_TOO_MANY_FILES";
    public static final String FILE_TOO_LARGE = "FILE_TOO_LARGE";
    /**
     * How a shell reports a command the kernel killed at its file size or CPU time rlimit (128 +
     * SIGXFSZ or SIGXCPU). A script may exit so on purpose: then it only misreports itself.
     */
    private static final int KILLED_BY_SIGXFSZ = 128 + 25;
    private static final int KILLED_BY_SIGXCPU = 128 + 24;
    /** The paths bubblewrap mounts over: they must be directories (or absent) in the tree, never links. */
    private static final List<String> MOUNT_POINTS = List.of("dev", "proc");
    /**
     * Joins the cgroups whose cgroup.procs files are its first N arguments, then becomes the rest of
     * the command line (arguments, not the environment: the sandbox's init would show it in /proc/1).
     */
    private static final String JOIN_CGROUPS = "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 125;"
            + " shift; n=$((n - 1)); done; exec \"$@\"";
    private static final Map<String, String> LAUNCHER_ENVIRONMENT = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    private static final Path OWN_CGROUPS = Path.of("/proc/self/cgroup");

    /**
     * @param limits      what one run may use
     * @param mirrorHosts the hosts a package installation may reach (lower case)
     * @param network     how the worker reaches those hosts (the organisation's proxy) and which extra
     *                    CAs a package installation trusts
     */
    public record Settings(SandboxLimits limits, Set<String> mirrorHosts, PackageNetwork network) {
        public Settings {
            mirrorHosts = mirrorHosts.stream().map(host -> host.toLowerCase(Locale.ROOT))
                    .collect(Collectors.toUnmodifiableSet());
        }

        /** Mirrors reached directly, no extra CAs. */
        public Settings(SandboxLimits limits, Set<String> mirrorHosts) {
            this(limits, mirrorHosts, PackageNetwork.direct());
        }
    }

    private final Settings settings;

    public Sandbox(Settings settings) {
        this.settings = settings;
    }

    public SandboxLimits limits() {
        return settings.limits();
    }

    /** How package installations reach the mirrors, and the extra CAs they trust. */
    public PackageNetwork network() {
        return settings.network();
    }

    /**
     * Runs {@code command} with {@code root} as its root.
     *
     * @param environment everything the command's environment holds
     * @return how it ended; {@link CommandRunner.Exit#breached()} names the limit it broke (a
     *         {@link ResourceGroup} code, {@link CommandRunner#OUTPUT_LIMIT}, {@link #FILE_TOO_LARGE},
     *         {@link #TREE_TOO_LARGE} or {@link #TREE_TOO_MANY_FILES}), see {@link #describe}
     * @throws BuildException BAD_INPUT SANDBOX_MOUNT_POINT when the tree's /dev or /proc is not a
     *                        directory; INFRASTRUCTURE TOOL_MISSING or SANDBOX_FAILED
     */
    public CommandRunner.Exit run(Path root, List<String> command, Map<String, String> environment, Network network,
            Duration timeout, CommandRunner commands, BuildLog log) {
        checkMountPoints(root);
        try (ResourceGroup group = ResourceGroup.create(ResourceGroup.CGROUP_ROOT, ownCgroups(), settings.limits());
                Egress egress = network == Network.PACKAGE_MIRRORS ? Egress.open(settings, log) : null) {
            List<String> argv = new ArrayList<>();
            if (group.capped()) {
                argv.addAll(List.of("sh", "-c", JOIN_CGROUPS, "sandbox-join", Integer.toString(group.procsFiles().size())));
                group.procsFiles().forEach(procs -> argv.add(procs.toString()));
            } else {
                log.line("sandbox: no cgroup may be created here; memory and CPU time are capped per process (rlimits)"
                        + " and processes counted by the worker");
            }
            argv.addAll(rlimits(group.capped()));
            if (egress != null) {
                argv.addAll(egress.bridge().enter());
            }
            argv.addAll(bubblewrap(root, environment, network));
            argv.addAll(command);
            // Started from /, so that no path of the worker's reaches the sandbox's init (as PWD).
            CommandRunner.Exit exit = commands.runContained(timeout, Path.of("/"), LAUNCHER_ENVIRONMENT,
                    new CommandRunner.Containment(settings.limits().outputBytes(),
                            running -> group.capped() ? group.breached(settings.limits())
                                    : tooManyProcesses(running)),
                    argv.toArray(String[]::new));
            if (exit.breached().isPresent() || exit.timedOut()) {
                return exit;
            }
            if (exit.code() == KILLED_BY_SIGXFSZ || exit.code() == KILLED_BY_SIGXCPU) {
                return new CommandRunner.Exit(false, exit.code(), exit.output(), exit.errors(),
                        Optional.of(exit.code() == KILLED_BY_SIGXFSZ ? FILE_TOO_LARGE : ResourceGroup.CPU_LIMIT));
            }
            return treeBreach(root).map(code -> new CommandRunner.Exit(false, -1, exit.output(), exit.errors(),
                    Optional.of(code))).orElse(exit);
        }
    }

    /** One line saying which limit {@code code} is and what it is set to. */
    public String describe(String code) {
        SandboxLimits limits = settings.limits();
        return switch (code) {
            case ResourceGroup.MEMORY_LIMIT -> "used more than " + mib(limits.memoryBytes()) + " of memory";
            case ResourceGroup.PROCESS_LIMIT -> "ran more than " + limits.processes() + " processes at once";
            case ResourceGroup.CPU_LIMIT -> "used more than " + limits.cpuTime().toSeconds() + " s of CPU time";
            case CommandRunner.OUTPUT_LIMIT -> "printed more than " + mib(limits.outputBytes());
            case FILE_TOO_LARGE -> "wrote a file larger than " + mib(limits.fileBytes());
            case TREE_TOO_LARGE -> "left the image tree larger than " + mib(limits.treeBytes());
            case TREE_TOO_MANY_FILES -> "left more than " + limits.treeFiles() + " entries in the image tree";
            default -> "broke the limit " + code;
        } + " (byoos.worker.sandbox)";
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    private List<String> bubblewrap(Path root, Map<String, String> environment, Network network) {
        List<String> argv = new ArrayList<>(List.of("bwrap", "--die-with-parent", "--new-session",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"));
        if (network == Network.NONE) {
            argv.add("--unshare-net");
        }
        argv.addAll(List.of("--bind", root.toString(), "/", "--dev", "/dev", "--proc", "/proc",
                "--remount-ro", "/proc", "--hostname", "byoos-build", "--chdir", "/", "--clearenv"));
        environment.forEach((name, value) -> argv.addAll(List.of("--setenv", name, value)));
        argv.addAll(List.of("--cap-drop", "ALL"));
        CAPABILITIES.forEach(capability -> argv.addAll(List.of("--cap-add", capability)));
        argv.add("--");
        return argv;
    }

    /** With a cgroup, memory and CPU are counted across processes there; without, per process here. */
    private List<String> rlimits(boolean cgroup) {
        SandboxLimits limits = settings.limits();
        List<String> argv = new ArrayList<>(List.of("prlimit", "--core=0", "--fsize=" + limits.fileBytes()));
        if (!cgroup) {
            argv.add("--as=" + limits.memoryBytes());
            argv.add("--cpu=" + Math.max(1, limits.cpuTime().toSeconds()));
        }
        argv.add("--");
        return argv;
    }

    private Optional<String> tooManyProcesses(ProcessHandle running) {
        return running.descendants().limit(settings.limits().processes() + 1L).count() > settings.limits().processes()
                ? Optional.of(ResourceGroup.PROCESS_LIMIT)
                : Optional.empty();
    }

    private static void checkMountPoints(Path root) {
        for (String name : MOUNT_POINTS) {
            Path point = root.resolve(name);
            if (Files.exists(point, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isDirectory(point, LinkOption.NOFOLLOW_LINKS)) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "SANDBOX_MOUNT_POINT",
                        "/" + name + " in the image tree is not a directory; the sandbox mounts its own /" + name
                                + " there", null);
            }
        }
    }

    /** The tree's size and entry count against the limits: walked without following links. */
    private Optional<String> treeBreach(Path root) {
        SandboxLimits limits = settings.limits();
        long[] bytesAndEntries = new long[2];
        String[] breach = new String[1];
        try {
            Files.walkFileTree(root, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    return count(attributes);
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    return count(attributes);
                }

                private FileVisitResult count(BasicFileAttributes attributes) {
                    bytesAndEntries[0] += attributes.isRegularFile() ? attributes.size() : 0;
                    bytesAndEntries[1]++;
                    breach[0] = bytesAndEntries[0] > limits.treeBytes() ? TREE_TOO_LARGE
                            : bytesAndEntries[1] > limits.treeFiles() ? TREE_TOO_MANY_FILES : null;
                    return breach[0] == null ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("measuring the image tree " + root, e);
        }
        return Optional.ofNullable(breach[0]);
    }

    private static List<String> ownCgroups() {
        try {
            return Files.readAllLines(OWN_CGROUPS);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A run's way to the mirrors: the proxy in the worker and the bridge into the sandbox's network. */
    private record Egress(Path directory, MirrorProxy proxy, MirrorBridge bridge) implements AutoCloseable {

        static Egress open(Settings settings, BuildLog log) {
            Path directory;
            MirrorProxy proxy;
            try {
                // A short path: a Unix socket's name must fit in 108 bytes.
                directory = Files.createTempDirectory("byoos-mirror-");
                proxy = new MirrorProxy(directory.resolve("proxy.sock"), settings.mirrorHosts()::contains,
                        settings.network()::proxyFor, log::line);
            } catch (IOException e) {
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "SANDBOX_FAILED",
                        "cannot open the package mirror proxy: " + e.getMessage(), e);
            }
            try {
                return new Egress(directory, proxy, MirrorBridge.start(directory.resolve("proxy.sock")));
            } catch (RuntimeException e) {
                proxy.close();
                throw e;
            }
        }

        @Override
        public void close() {
            bridge.close();
            proxy.close();
            try {
                Files.deleteIfExists(directory.resolve("proxy.sock"));
                Files.deleteIfExists(directory);
            } catch (IOException e) {
                // A leftover empty temporary directory; nothing of the build's in it.
            }
        }
    }
}
