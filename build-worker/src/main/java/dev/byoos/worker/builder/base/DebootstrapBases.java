package dev.byoos.worker.builder.base;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Debian-family bases made with debootstrap and cached by content: the key is the sha256 of
 * everything that decides the tree (suite, mirror, the suite's current Release file, variant,
 * packages, and {@link #FORMAT_VERSION} for changes in how the worker prepares it), kept in a
 * {@link BaseCache}: made once, atomically, one debootstrap per key at a time. The Release file is
 * read from the mirror at every build ({@link SuiteReleases}): once the suite has been updated the key
 * changes, the base is made again, and the entry it supersedes (same suite and mirror) is removed.
 */
public final class DebootstrapBases {

    /**
     * A suite on a mirror as it is now.
     *
     * @param mirror  the checked mirror URL, without a trailing slash
     * @param release the suite's current Release file
     * @param key     the cache key: the base's content key
     */
    public record Suite(String suite, String mirror, SuiteReleases.Release release, String key) {
    }

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
    private static final String WGETRC = "debootstrap.wgetrc";
    private static final String CA_BUNDLE = "debootstrap-ca.pem";

    private final BaseCache cache;
    private final AllowedHosts allowedMirrorHosts;
    private final SuiteReleases releases;
    private final PackageNetwork network;
    private final Map<String, String> mirrors;

    /**
     * @param network how debootstrap reaches the mirror (proxy) and which extra CAs it trusts
     * @param mirrors the mirror that replaces a spec's, by distribution ({@code byoos.worker.packages.mirrors})
     */
    public DebootstrapBases(Path cacheDir, Collection<String> allowedMirrorHosts, SuiteReleases releases,
            PackageNetwork network, Map<String, String> mirrors) {
        this.cache = new BaseCache(cacheDir);
        this.allowedMirrorHosts = new AllowedHosts(allowedMirrorHosts);
        this.releases = releases;
        this.network = network;
        this.mirrors = Map.copyOf(mirrors);
    }

    /**
     * Reads the suite's current Release file from the mirror: what the base's key is made of. The
     * mirror is the spec's, or the one this worker uses for {@code os} instead.
     *
     * @param os the spec's operating system name ({@code debian}, {@code ubuntu})
     * @throws BuildException BAD_INPUT HOST_NOT_ALLOWED, INVALID_MIRROR, INVALID_SUITE, SUITE_NOT_FOUND,
     *                        RELEASE_REFUSED or RELEASE_TOO_LARGE; INFRASTRUCTURE DEBOOTSTRAP_FAILED
     *                        when the mirror cannot be reached
     */
    public Suite resolve(BuildRequested.Debootstrap base, String os, BuildLog log, BuildCancellation cancellation) {
        String mirror = checkedMirror(base.mirror());
        String replacement = mirrors.get(os);
        if (replacement != null) {
            log.line("debootstrap mirror " + mirror + " replaced by " + checkedMirror(replacement)
                    + " (byoos.worker.packages.mirrors." + os + ")");
            mirror = checkedMirror(replacement);
        }
        if (!SUITE.matcher(base.suite()).matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_SUITE",
                    "'" + base.suite() + "' is not a Debian or Ubuntu suite name", null);
        }
        SuiteReleases.Release release = releases.current(mirror, base.suite(), log, cancellation);
        return new Suite(base.suite(), mirror, release, key(base.suite(), mirror, release.sha256()));
    }

    /**
     * Copies the cached tree of {@code suite} into the build, making it first when the cache does
     * not have it yet, and checks the copy against the digest recorded when the tree was made.
     *
     * @throws BuildException INFRASTRUCTURE DEBOOTSTRAP_FAILED when the mirror or debootstrap fails,
     *                        BASE_CACHE_CORRUPT when the cached tree changed (it is discarded)
     */
    public RootFilesystem checkout(Suite suite, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) {
        return cache.checkout(suite.key(), lineage(suite.suite(), suite.mirror()), "debootstrap base " + suite.key()
                + " (" + suite.suite() + " from " + suite.mirror() + ", Release " + suite.release().sha256() + ")",
                entry -> make(suite, entry, workDir, commands), suite.suite(), workDir, commands, log, cancellation);
    }

    /** Whether {@code suite}'s tree is in the cache: a checkout would copy it without running debootstrap. */
    public boolean isCached(Suite suite) {
        return cache.has(suite.key());
    }

    /** sha256 over everything that decides the tree's content. */
    public static String key(String suite, String mirror, String releaseSha256) {
        return Sha256.of("byoos debootstrap base " + FORMAT_VERSION + "\nsuite=" + suite + "\nmirror=" + mirror
                + "\nrelease=" + releaseSha256 + "\nvariant=" + VARIANT + "\npackages=" + String.join(",", BOOT_PACKAGES)
                + "\n");
    }

    /** The bases that supersede each other: one suite from one mirror, made the same way. */
    private static String lineage(String suite, String mirror) {
        return Sha256.of("byoos debootstrap lineage " + FORMAT_VERSION + "\nsuite=" + suite + "\nmirror=" + mirror
                + "\nvariant=" + VARIANT + "\npackages=" + String.join(",", BOOT_PACKAGES) + "\n");
    }

    /**
     * debootstrap's downloads (wget, on the worker) through the organisation's proxy and trusting
     * its CAs: {@code env} and the variables, or nothing when neither is set. The CA bundle and wget's
     * configuration go beside the tree in the partial entry, and are removed before it is kept.
     */
    private List<String> environment(String mirrorHost, Path partial) throws IOException {
        List<String> variables = new ArrayList<>();
        network.proxyFor(mirrorHost).ifPresent(proxy -> {
            String url = "http://" + proxy.getHostString() + ":" + proxy.getPort();
            variables.addAll(List.of("http_proxy=" + url, "https_proxy=" + url));
        });
        if (network.hasCaCertificates()) {
            Path bundle = Files.writeString(partial.resolve(CA_BUNDLE), network.trustBundle());
            Path wgetrc = Files.writeString(partial.resolve(WGETRC), "ca_certificate = " + bundle + "\n");
            variables.add("WGETRC=" + wgetrc);
        }
        if (variables.isEmpty()) {
            return List.of();
        }
        variables.add(0, "env");
        return variables;
    }

    /** @return the mirror URL without a trailing slash, so equal mirrors share a key */
    private String checkedMirror(String mirror) {
        allowedMirrorHosts.checkedUrl(mirror, Set.of("http", "https"), "INVALID_MIRROR", "mirror");
        return mirror.replaceAll("/+$", "");
    }

    private void make(Suite suite, Path partial, Path workDir, CommandRunner commands) throws IOException {
        Path root = partial.resolve("rootfs");
        try {
            List<String> command = new ArrayList<>(environment(URI.create(suite.mirror()).getHost(), partial));
            command.addAll(List.of("debootstrap", "--variant=" + VARIANT, "--include=" + String.join(",", BOOT_PACKAGES),
                    suite.suite(), root.toString(), suite.mirror()));
            commands.run(DEBOOTSTRAP_TIMEOUT, workDir, null, command.toArray(String[]::new));
        } catch (BuildException e) {
            if (!"TOOL_FAILED".equals(e.code())) {
                throw e;
            }
            // Mostly an unreachable or inconsistent mirror: worth retrying later.
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED", e.getMessage(), e);
        }
        Files.deleteIfExists(partial.resolve(WGETRC));
        Files.deleteIfExists(partial.resolve(CA_BUNDLE));
        // The downloaded packages are ~100 MB every build would copy for nothing.
        commands.run(TOOL_TIMEOUT, workDir, null, "chroot", root.toString(), "apt-get", "clean");
        // debootstrap copies the worker's host name into the tree.
        Files.writeString(root.resolve("etc/hostname"), "localhost\n");
        // The Release read before debootstrap: debootstrap reads the suite again, and a suite updated
        // in between makes a newer tree under this key, which the next build's key replaces.
        Files.writeString(partial.resolve("inputs.txt"), "suite=" + suite.suite() + "\nmirror=" + suite.mirror()
                + "\nrelease=" + suite.release().url() + " sha256 " + suite.release().sha256() + " Date "
                + suite.release().date().orElse("(none)") + "\nvariant=" + VARIANT + "\npackages="
                + String.join(",", BOOT_PACKAGES) + "\nformat=" + FORMAT_VERSION + "\n");
    }
}
