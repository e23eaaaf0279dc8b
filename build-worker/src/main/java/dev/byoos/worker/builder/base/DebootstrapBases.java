package dev.byoos.worker.builder.base;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Debian-family bases made with debootstrap and cached by content: the key is the sha256 of
 * everything that decides the tree (suite, mirror, variant, packages, and {@link #FORMAT_VERSION}
 * for changes in how the worker prepares it), kept in a {@link BaseCache}: made once, atomically,
 * one debootstrap per key at a time. Cached bases never expire: to pick up a suite's updates, bump
 * {@link #FORMAT_VERSION} or clear the cache directory.
 */
public final class DebootstrapBases {

    /** Part of every key: bump it when the way bases are made changes, so old trees are not reused. */
    static final int FORMAT_VERSION = 2;
    static final String VARIANT = "minbase";
    /**
     * What booting needs on top of minbase: a kernel (its initramfs is made while it installs),
     * systemd as init, udev to find the disks, and systemd-boot's EFI binary for the ESP.
     */
    public static final List<String> BOOT_PACKAGES = List.of("linux-image-amd64", "systemd-sysv", "udev", "systemd-boot-efi");
    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);

    private final BaseCache cache;
    private final AllowedHosts allowedMirrorHosts;

    public DebootstrapBases(Path cacheDir, Collection<String> allowedMirrorHosts) {
        this.cache = new BaseCache(cacheDir);
        this.allowedMirrorHosts = new AllowedHosts(allowedMirrorHosts);
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
        return cache.obtain(key, "debootstrap base " + key + " (" + base.suite() + " from " + mirror + ")",
                entry -> make(base.suite(), mirror, entry, workDir, commands), workDir, log, cancellation);
    }

    /**
     * Checks a build's copy of the cached tree for {@code base} against the digest recorded when
     * it was made.
     *
     * @throws BuildException INFRASTRUCTURE BASE_CACHE_CORRUPT (the entry is discarded)
     */
    public void verify(BuildRequested.Debootstrap base, Path copy, Path workDir, BuildLog log) {
        cache.verify(contentKey(base), "debootstrap base " + contentKey(base), copy, workDir, log);
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
    public static String key(String suite, String mirror) {
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
        allowedMirrorHosts.checkedUrl(mirror, Set.of("http", "https"), "INVALID_MIRROR", "mirror");
        return mirror.replaceAll("/+$", "");
    }

    private void make(String suite, String mirror, Path partial, Path workDir, CommandRunner commands)
            throws IOException {
        Path root = partial.resolve("rootfs");
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
}
