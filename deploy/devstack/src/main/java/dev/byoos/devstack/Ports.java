package dev.byoos.devstack;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Free loopback TCP ports for the stack's servers, which bind them only seconds after they were
 * given them (Kafka formats its log first, a Quarkus service starts in 20-30 s). In that time no
 * one else may take them:
 * <ul>
 * <li>the ports come from below the kernel's ephemeral range, which is where every {@code bind(0)}
 * (a Quarkus test's {@code test-port=0}, chromedriver, Prometheus in a test) and every outgoing
 * connection takes its port: a port picked by {@code bind(0)} and closed again went to another
 * stack's service in a CI run ("Port … seems to be in use");</li>
 * <li>each port is locked in a directory every local stack of this user shares, until the process
 * that took it exits (the OS drops the lock then, however it ended): two stacks starting side by
 * side, as CI's test JVMs and system test classes do, never get the same port;</li>
 * <li>this process gives no port to two servers (a server restarted in the process gets its own
 * ports back).</li>
 * </ul>
 */
final class Ports {

    static final String LOOPBACK = "127.0.0.1";

    /** The ports stacks take from: below the ephemeral range, or above it when below is too narrow. */
    static final Range DEFAULT_RANGE = Range.outsideEphemeral(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));

    /** Where every local stack of this user locks the ports it took. */
    static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"),
            "byoos-devstack-ports-" + System.getProperty("user.name"));

    /** Every port this process has given out, and the server directory it went to (none: {@link #free}). */
    private static final Map<Integer, Optional<Path>> GIVEN_OUT = new HashMap<>();

    /**
     * The locks this process holds, by lock file, one per port it gave out; released by the OS when
     * the process exits (or here, when a call that took them fails).
     */
    private static final Map<Path, FileChannel> LOCKED = new HashMap<>();

    /** The lock directories this process has checked ({@link #prepare(Path)}). */
    private static final Set<Path> PREPARED = new HashSet<>();

    private Ports() {
    }

    /** An inclusive range of ports. */
    record Range(int first, int last) {

        /** The ephemeral range assumed when the kernel's cannot be read: Linux's default. */
        static final Range LINUX_DEFAULT_EPHEMERAL = new Range(32768, 60999);
        /** At most this many ports below the ephemeral range: three times 4,096, plenty for many stacks. */
        private static final int BELOW_AT_MOST = 12288;
        private static final int LOWEST = 1024;
        private static final int HIGHEST = 65535;
        /** Below this many, a range leaves stacks too few ports: the other side is taken. */
        private static final int ENOUGH = 2000;

        Range {
            if (first < 1 || last > HIGHEST || first > last) {
                throw new IllegalArgumentException("not a port range: " + first + "-" + last);
            }
        }

        int size() {
            return last - first + 1;
        }

        boolean contains(int port) {
            return port >= first && port <= last;
        }

        /**
         * The widest of the two ranges beside the kernel's ephemeral one ({@code ip_local_port_range}),
         * at most {@value #BELOW_AT_MOST} ports below it (a default Linux gives 20480-32767). When
         * neither side holds {@value #ENOUGH}, every port: the kernel's own picks may then take a
         * stack's port again, as before, but the stack still starts.
         */
        static Range outsideEphemeral(Path ipLocalPortRange) {
            Range ephemeral = LINUX_DEFAULT_EPHEMERAL;
            // One line read, not Files.readString: that reads a /proc file's reported size (0) and
            // returns its first byte only.
            try (var reader = Files.newBufferedReader(ipLocalPortRange)) {
                String[] bounds = reader.readLine().trim().split("\\s+");
                ephemeral = new Range(Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1]));
            } catch (IOException | RuntimeException unreadable) {
                // Not Linux, or no /proc: Linux's default is the best guess.
            }
            int below = ephemeral.first() - LOWEST;
            int above = HIGHEST - ephemeral.last();
            if (below >= ENOUGH && below >= above) {
                return new Range(Math.max(LOWEST, ephemeral.first() - BELOW_AT_MOST), ephemeral.first() - 1);
            }
            if (above >= ENOUGH) {
                return new Range(ephemeral.last() + 1, HIGHEST);
            }
            return new Range(LOWEST, HIGHEST);
        }
    }

    /** Distinct free ports, never given out by this process nor locked by another local stack. */
    static synchronized int[] free(int count) throws IOException {
        return free(count, DEFAULT_RANGE, LOCKS);
    }

    static synchronized int[] free(int count, Range range, Path locks) throws IOException {
        prepare(locks);
        int[] ports = new int[count];
        int start = ThreadLocalRandom.current().nextInt(range.size());
        int given = 0;
        try {
            for (int i = 0; i < range.size() && given < count; i++) {
                int port = range.first() + (start + i) % range.size();
                if (!GIVEN_OUT.containsKey(port) && isFree(port) && lock(port, locks)) {
                    ports[given++] = port;
                }
            }
        } finally {
            if (given < count) {
                release(Arrays.copyOf(ports, given), locks);
            }
        }
        if (given < count) {
            throw new IOException("no " + count + " free loopback ports left in " + range.first() + "-" + range.last()
                    + " (" + given + " found): the others are in use, or locked by other local stacks in " + locks);
        }
        Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.empty()));
        return ports;
    }

    /**
     * Ports for one server of the stack, kept in its directory: the ones it had last time when they
     * are still free, otherwise new free ones, remembered in {@code ports.properties}. Stable
     * ports keep what the stack recorded valid across restarts (a published pack's reference
     * names the registry's address).
     */
    static synchronized int[] stable(Path serverDir, int count) throws IOException {
        Files.createDirectories(serverDir);
        Path file = serverDir.resolve("ports.properties");
        String server = "ports";
        Properties remembered = new Properties();
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                remembered.load(reader);
            }
        }
        String previous = remembered.getProperty(server);
        if (previous != null) {
            int[] ports = Arrays.stream(previous.split(",")).mapToInt(Integer::parseInt).toArray();
            // Its own ports again (a restart in this process), unless another server has one by now.
            // Kept even when a stack made before ports came from outside the ephemeral range
            // remembered one inside it: the registry's address is in the packs that stack published.
            boolean ours = Arrays.stream(ports).allMatch(port -> GIVEN_OUT.getOrDefault(port, Optional.of(serverDir))
                    .equals(Optional.of(serverDir)));
            if (ports.length == count && ours && Arrays.stream(ports).allMatch(Ports::isFree)
                    && lockAll(ports, LOCKS)) {
                Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.of(serverDir)));
                return ports;
            }
        }
        int[] ports = free(count);
        Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.of(serverDir)));
        remembered.setProperty(server, Arrays.stream(ports).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        try (Writer writer = Files.newBufferedWriter(file)) {
            remembered.store(writer, "loopback ports of the local stack, reused on restart while free");
        }
        return ports;
    }

    /**
     * Whether nothing listens on the port: neither on every address (Quarkus binds 0.0.0.0) nor on
     * loopback (where BSD and macOS let a wildcard bind succeed beside a loopback listener).
     */
    static boolean isFree(int port) {
        return canBind(new InetSocketAddress(port)) && canBind(new InetSocketAddress(LOOPBACK, port));
    }

    private static boolean canBind(InetSocketAddress address) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(address);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Locks every port, or none: a remembered port another stack holds means new ports. */
    private static boolean lockAll(int[] ports, Path locks) throws IOException {
        prepare(locks);
        List<Integer> locked = new ArrayList<>();
        for (int port : ports) {
            if (LOCKED.containsKey(lockFile(locks, port))) {
                continue;
            }
            if (!lock(port, locks)) {
                release(locked.stream().mapToInt(Integer::intValue).toArray(), locks);
                return false;
            }
            locked.add(port);
        }
        return true;
    }

    /**
     * Takes the port's lock for the rest of this process's life; false when another process holds
     * it. A lock this process already holds counts as taken (a server restarted in the process).
     */
    private static boolean lock(int port, Path locks) throws IOException {
        Path file = lockFile(locks, port);
        if (LOCKED.containsKey(file)) {
            return true;
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return false;
            }
            LOCKED.put(file, channel);
            return true;
        } catch (OverlappingFileLockException heldInThisProcess) {
            close(channel);
            return false;
        } catch (IOException e) {
            close(channel);
            throw new IOException("cannot lock port " + port + " in " + locks + ": " + e.getMessage(), e);
        }
    }

    /** Gives back ports a failed call locked, so that other stacks may have them. */
    private static void release(int[] ports, Path locks) {
        for (int port : ports) {
            close(LOCKED.remove(lockFile(locks, port)));
        }
    }

    private static Path lockFile(Path locks, int port) {
        return locks.resolve(Integer.toString(port));
    }

    /**
     * The lock directory, made private to this process's user. A link in its place, or a directory
     * another user made first, would let that user hold every port or have this process create
     * files where the link points: refused, with what to do.
     */
    private static void prepare(Path locks) throws IOException {
        // Once per directory and process: a stack asks for ports once per server, a test a thousand times.
        if (!PREPARED.contains(locks)) {
            prepare(locks, processOwner(locks.toAbsolutePath().getParent()));
            PREPARED.add(locks);
        }
    }

    /** {@link #prepare(Path)} for a process whose files belong to {@code us}. */
    static void prepare(Path locks, UserPrincipal us) throws IOException {
        if (!Files.exists(locks, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(locks.toAbsolutePath().getParent());
            try {
                if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectory(locks, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectory(locks);
                }
            } catch (FileAlreadyExistsException madeMeanwhile) {
                // By another stack starting now, or by someone else: the checks below tell.
            }
        }
        if (!Files.isDirectory(locks, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the port lock directory " + locks + " is not a directory (a link, or a file):"
                    + " remove it, or give this process another java.io.tmpdir");
        }
        UserPrincipal owner = Files.getOwner(locks, LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(us)) {
            throw new IOException("the port lock directory " + locks + " belongs to " + owner.getName() + ", not to "
                    + us.getName() + ": remove it, or give this process another java.io.tmpdir");
        }
    }

    /**
     * Who owns what this process creates, from a file it creates: by user ID, so a user without a
     * name (a container's arbitrary UID) still matches, and a name shared by two IDs does not.
     */
    private static UserPrincipal processOwner(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, ".byoos-ports-owner", "");
        try {
            return Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing held through it.
            }
        }
    }
}
