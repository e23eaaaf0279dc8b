package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.byoos.contract.BuildRequested;

/**
 * Debian-family bases made with debootstrap and cached by content: the key is the sha256 of
 * everything that decides the tree (suite, mirror, variant, packages, and {@link #FORMAT_VERSION}
 * for changes in how the worker prepares it). A base is built in a temporary directory and
 * renamed into place, so a worker that dies mid-debootstrap never leaves a half base behind.
 *
 * <p>One debootstrap per key at a time: threads of one worker wait on an in-process lock (file
 * locks belong to the whole JVM, so they cannot order its threads), and worker processes sharing
 * the cache directory wait on a lock file next to the base. Cached bases never expire: to pick up
 * a suite's updates, bump {@link #FORMAT_VERSION} or clear the cache directory.
 */
public final class DebootstrapBases {

    /** Part of every key: bump it when the way bases are made changes, so old trees are not reused. */
    static final int FORMAT_VERSION = 1;
    static final String VARIANT = "minbase";
    /**
     * What booting needs on top of minbase: a kernel (its initramfs is made while it installs),
     * systemd as init, udev to find the disks, and systemd-boot's EFI binary for the ESP.
     */
    static final List<String> BOOT_PACKAGES = List.of("linux-image-amd64", "systemd-sysv", "udev", "systemd-boot-efi");
    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration LOCK_POLL = Duration.ofMillis(500);
    private static final Map<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final Path cacheDir;
    private final Set<String> allowedMirrorHosts;

    public DebootstrapBases(Path cacheDir, Collection<String> allowedMirrorHosts) {
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
        this.allowedMirrorHosts = allowedMirrorHosts.stream().map(host -> host.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * @return the cached tree for {@code base}, made now when the cache does not have it yet.
     *         Read-only for callers: copy it before changing anything.
     * @throws BuildException BAD_INPUT HOST_NOT_ALLOWED or INVALID_SUITE; INFRASTRUCTURE
     *                        DEBOOTSTRAP_FAILED when the mirror or debootstrap fails
     */
    public Path obtain(BuildRequested.Debootstrap base, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) {
        String key = contentKey(base);
        String mirror = checkedMirror(base.mirror());
        Path entry = cacheDir.resolve(key);
        Path tree = entry.resolve("rootfs");
        if (Files.isDirectory(tree)) {
            log.line("debootstrap base " + key + " (" + base.suite() + " from " + mirror + "): cached");
            return tree;
        }
        ReentrantLock threads = IN_PROCESS_LOCKS.computeIfAbsent(cacheDir.resolve(key), path -> new ReentrantLock());
        awaitLock(threads, cancellation);
        try (FileChannel lockFile = openLockFile(key); FileLock processes = awaitLock(lockFile, cancellation)) {
            // Whoever held the lock before us may have made it.
            if (Files.isDirectory(tree)) {
                log.line("debootstrap base " + key + ": made by a concurrent build, reusing it");
                return tree;
            }
            log.line("debootstrap base " + key + " (" + base.suite() + " from " + mirror + "): not cached, making it");
            // Cleaning up must work in a cancelled build too: it gets a runner of its own.
            CommandRunner cleanup = new CommandRunner(log, new BuildCancellation());
            removeLeftovers(key, workDir, cleanup);
            Path partial = cacheDir.resolve("." + key + ".partial-" + UUID.randomUUID());
            try {
                make(base.suite(), mirror, partial, workDir, commands);
                Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                if (Files.exists(partial)) {
                    remove(partial, workDir, cleanup);
                }
            }
            return tree;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            threads.unlock();
        }
    }

    /**
     * @return the cache key of {@code base}, without making it
     * @throws BuildException BAD_INPUT HOST_NOT_ALLOWED, INVALID_MIRROR or INVALID_SUITE
     */
    public String contentKey(BuildRequested.Debootstrap base) {
        String mirror = checkedMirror(base.mirror());
        if (!SUITE.matcher(base.suite()).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_SUITE",
                    "'" + base.suite() + "' is not a Debian or Ubuntu suite name", null);
        }
        return key(base.suite(), mirror);
    }

    /** sha256 over everything that decides the tree's content. */
    static String key(String suite, String mirror) {
        String inputs = "byoos debootstrap base " + FORMAT_VERSION + "\nsuite=" + suite + "\nmirror=" + mirror
                + "\nvariant=" + VARIANT + "\npackages=" + String.join(",", BOOT_PACKAGES) + "\n";
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(inputs.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the mirror URL without a trailing slash, so equal mirrors share a key */
    private String checkedMirror(String mirror) {
        URI uri;
        try {
            uri = new URI(mirror);
        } catch (URISyntaxException e) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_MIRROR", "'" + mirror + "' is not a URL",
                    e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getUserInfo() != null) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_MIRROR",
                    "'" + mirror + "' is not an http(s) URL with a host", null);
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (!allowedMirrorHosts.contains(host)) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "HOST_NOT_ALLOWED",
                    "mirror host " + host + " is not allowed on this worker (worker.allowed-mirror-hosts: "
                            + allowedMirrorHosts.stream().sorted().collect(Collectors.joining(", ")) + ")",
                    null);
        }
        return mirror.replaceAll("/+$", "");
    }

    private void make(String suite, String mirror, Path partial, Path workDir, CommandRunner commands)
            throws IOException {
        Path root = Files.createDirectories(partial).resolve("rootfs");
        try {
            commands.run(DEBOOTSTRAP_TIMEOUT, workDir, null, "debootstrap", "--variant=" + VARIANT,
                    "--include=" + String.join(",", BOOT_PACKAGES), suite, root.toString(), mirror);
        } catch (BuildException e) {
            if (!"TOOL_FAILED".equals(e.code())) {
                throw e;
            }
            // Mostly an unreachable or inconsistent mirror: worth retrying later.
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED", e.getMessage(), e);
        }
        // The downloaded packages are ~100 MB every build would copy for nothing.
        commands.run(TOOL_TIMEOUT, workDir, null, "chroot", root.toString(), "apt-get", "clean");
        // debootstrap copies the worker's host name into the tree.
        Files.writeString(root.resolve("etc/hostname"), "localhost\n");
        Files.writeString(partial.resolve("inputs.txt"), "suite=" + suite + "\nmirror=" + mirror + "\nvariant="
                + VARIANT + "\npackages=" + String.join(",", BOOT_PACKAGES) + "\nformat=" + FORMAT_VERSION + "\n");
    }

    /** Partial trees of a worker that died while making this key. */
    private void removeLeftovers(String key, Path workDir, CommandRunner commands) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> entries = Files.list(cacheDir)) {
            leftovers = entries.filter(path -> path.getFileName().toString().startsWith("." + key + ".partial-"))
                    .toList();
        }
        for (Path leftover : leftovers) {
            remove(leftover, workDir, commands);
        }
    }

    /**
     * debootstrap mounts /proc and /sys inside the tree; killed, it leaves them mounted. They are
     * unmounted first, and rm stays on the tree's own filesystem in any case.
     */
    private static void remove(Path partial, Path workDir, CommandRunner commands) throws IOException {
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String mountPoint = line.split(" ")[1].replace("\\040", " ");
            if (Path.of(mountPoint).startsWith(partial)) {
                mounts.add(mountPoint);
            }
        }
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        for (String mountPoint : mounts) {
            commands.run(TOOL_TIMEOUT, workDir, null, "umount", "--lazy", mountPoint);
        }
        commands.run(TOOL_TIMEOUT, workDir, null, "rm", "-rf", "--one-file-system", "--", partial.toString());
    }

    private FileChannel openLockFile(String key) throws IOException {
        Files.createDirectories(cacheDir);
        return FileChannel.open(cacheDir.resolve("." + key + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
    }

    /** Waits for the lock, giving up when the build is cancelled meanwhile. */
    private static void awaitLock(ReentrantLock lock, BuildCancellation cancellation) {
        try {
            while (!lock.tryLock(LOCK_POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                cancellation.throwIfCancelled();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        }
    }

    private static FileLock awaitLock(FileChannel channel, BuildCancellation cancellation) throws IOException {
        for (FileLock lock = channel.tryLock();; lock = channel.tryLock()) {
            if (lock != null) {
                return lock;
            }
            cancellation.throwIfCancelled();
            try {
                Thread.sleep(LOCK_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
            }
        }
    }
}
