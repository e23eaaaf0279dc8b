package dev.byoos.worker.builder.kubernetes;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;

/**
 * Fetches the Kubernetes release artifacts of a build from the configured mirror, verifies each
 * against its checksum sidecar (and the pinned checksums file, when one is configured) and keeps
 * it in a cache directory by sha256, so later builds fetch only the sidecars again.
 *
 * <p>An artifact is hashed while it streams in, and again while it is installed from the cache
 * ({@link #readVerified}): a cached file whose bytes changed fails the build before its tree leaves
 * the worker, and is dropped from the cache so that the retry fetches it again. Taking an artifact
 * from the cache reads only its sidecar, so a build served from the image cache reads no artifact.
 */
public final class KubernetesComponentSource {

    static final String MIRROR_SETTING = "byoos.worker.kubernetes-components.mirror";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** A sidecar is one short line; more is not a sidecar. */
    private static final int MAX_SIDECAR_BYTES = 4096;

    private final Optional<KubernetesMirror> mirror;
    private final String arch;
    private final Path cacheDir;
    private final Optional<Path> checksumsFile;

    /**
     * @param mirror        empty: builds that ask for Kubernetes components fail with KUBERNETES_MIRROR_NOT_CONFIGURED
     * @param checksumsFile a pinned {@code sha256  relative/path} list every artifact must be in and match
     */
    KubernetesComponentSource(Optional<KubernetesMirror> mirror, String arch, Path cacheDir,
            Optional<Path> checksumsFile) {
        this.mirror = mirror;
        this.arch = arch;
        this.cacheDir = cacheDir;
        this.checksumsFile = checksumsFile;
    }

    /** @param mirror where the artifacts are ({@link KubernetesMirror#parse}), empty when none is configured */
    public static KubernetesComponentSource of(Optional<String> mirror, KubernetesMirror.S3Access s3, String arch,
            Path cacheDir, Optional<Path> checksumsFile) {
        return new KubernetesComponentSource(mirror.filter(location -> !location.isBlank())
                .map(location -> KubernetesMirror.parse(location.strip(), s3)), arch, cacheDir, checksumsFile);
    }

    /** A worker without a mirror: requests without Kubernetes components build, the others fail. */
    public static KubernetesComponentSource notConfigured() {
        return new KubernetesComponentSource(Optional.empty(), "amd64", Path.of("."), Optional.empty());
    }

    /**
     * A release artifact, verified, in the cache.
     *
     * @param file   the verified bytes (read only; shared by builds)
     * @param source where it came from in the mirror
     */
    public record Fetched(KubernetesRelease.Artifact artifact, String sha256, Path file, String source) {
    }

    /** The verified artifacts of one build's release, in installation order. */
    public record Components(KubernetesRelease release, List<Fetched> artifacts) {
    }

    /**
     * @return the verified artifacts of the request's release, or empty when the request asks for none
     * @throws BuildException KUBERNETES_MIRROR_NOT_CONFIGURED, KUBERNETES_COMPONENT_NOT_IN_MIRROR,
     *         KUBERNETES_COMPONENT_NOT_PINNED, KUBERNETES_COMPONENT_CHECKSUM_MISMATCH (WORKER_SETUP), or
     *         KUBERNETES_MIRROR_UNAVAILABLE (INFRASTRUCTURE)
     */
    public Optional<Components> fetch(BuildRequested.Kubernetes kubernetes, BuildLog log) {
        if (kubernetes == null) {
            log.line("kubernetes components: none requested (a request from before they were part of it)");
            return Optional.empty();
        }
        KubernetesRelease release = KubernetesRelease.of(kubernetes, arch);
        KubernetesMirror source = mirror.orElseThrow(() -> new BuildException(BuildException.Kind.WORKER_SETUP,
                "KUBERNETES_MIRROR_NOT_CONFIGURED", "the build asks for Kubernetes components (" + release.describe()
                        + "), but this worker has no mirror to take them from: set " + MIRROR_SETTING
                        + " (env BYOOS_KUBERNETES_MIRROR) to a directory or s3:// bucket laid out like the upstream"
                        + " downloads (deploy/mirror/sync-kubernetes-components.sh makes one)", null));
        Map<String, String> pinned = pinnedChecksums();
        List<Fetched> fetched = new ArrayList<>();
        for (KubernetesRelease.Artifact artifact : release.artifacts()) {
            fetched.add(fetch(source, release, artifact, pinned, log));
        }
        return Optional.of(new Components(release, List.copyOf(fetched)));
    }

    private Fetched fetch(KubernetesMirror source, KubernetesRelease release, KubernetesRelease.Artifact artifact,
            Map<String, String> pinned, BuildLog log) {
        String location = source.location(artifact.path());
        String expected = sidecarChecksum(source, release, artifact);
        if (checksumsFile.isPresent()) {
            String pin = pinned.get(artifact.path());
            if (pin == null) {
                throw new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_COMPONENT_NOT_PINNED",
                        artifact.path() + " is not in the pinned checksums file " + checksumsFile.get()
                                + " (every artifact must be; " + release.describe() + ")", null);
            }
            if (!pin.equals(expected)) {
                throw mismatch(artifact, "the pinned checksums file " + checksumsFile.get() + " expects sha256 " + pin
                        + ", the mirror's sidecar " + source.location(artifact.checksumPath()) + " says " + expected);
            }
        }
        Path cached = cacheDir.resolve("sha256").resolve(expected);
        if (Files.isRegularFile(cached)) {
            log.line("kubernetes components: " + artifact.component() + " " + artifact.version() + " from the cache ("
                    + expected + ")");
            return new Fetched(artifact, expected, cached, location);
        }
        download(source, artifact, expected, cached);
        log.line("kubernetes components: " + artifact.component() + " " + artifact.version() + " fetched from "
                + location + ", sha256 " + expected + " verified");
        return new Fetched(artifact, expected, cached, location);
    }

    /** Reads an artifact's bytes; what it leaves unread is still hashed. */
    @FunctionalInterface
    interface ArtifactReader {
        void read(InputStream content) throws IOException;
    }

    /**
     * Hands the cached artifact to {@code reader}, hashing every byte of it on the way.
     *
     * @throws BuildException INFRASTRUCTURE KUBERNETES_COMPONENT_CACHE_CORRUPT when the bytes are not
     *         the verified ones any more (the entry is removed; a retry fetches the artifact again)
     */
    static void readVerified(Fetched fetched, ArtifactReader reader) {
        MessageDigest digest = Sha256.digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(fetched.file(), LinkOption.NOFOLLOW_LINKS),
                digest)) {
            // The reader may close what it is given (a GZIPInputStream does); the rest must still be hashed.
            reader.read(new FilterInputStream(in) {
                @Override
                public void close() {
                }
            });
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(fetched.sha256())) {
            try {
                Files.deleteIfExists(fetched.file());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "KUBERNETES_COMPONENT_CACHE_CORRUPT",
                    fetched.artifact().component() + " " + fetched.artifact().version() + ": the cached copy "
                            + fetched.file() + " has sha256 " + actual + ", not the verified " + fetched.sha256()
                            + "; removed, the retry fetches it again", null);
        }
    }

    /** Streams the artifact into a temporary file beside its cache entry, hashing it, and moves it in when it matches. */
    private void download(KubernetesMirror source, KubernetesRelease.Artifact artifact, String expected, Path cached) {
        Path partial;
        try {
            Files.createDirectories(cached.getParent());
            partial = cached.resolveSibling("." + expected + ".partial-" + UUID.randomUUID());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String location = source.location(artifact.path());
        try {
            MessageDigest digest = Sha256.digest();
            try (InputStream in = openArtifact(source, artifact.path(), artifact);
                    OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                for (int read; (read = in.read(buffer)) > 0;) {
                    digest.update(buffer, 0, read);
                    out.write(buffer, 0, read);
                }
            } catch (IOException e) {
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "KUBERNETES_MIRROR_UNAVAILABLE",
                        "reading " + location + " failed: " + e.getMessage(), e);
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(expected)) {
                throw mismatch(artifact, location + " has sha256 " + actual + ", its sidecar "
                        + source.location(artifact.checksumPath()) + " expects " + expected);
            }
            moveIntoPlace(partial, cached);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // A leftover partial file is harmless: it is never read, and the next download gets a new name.
            }
        }
    }

    private static void moveIntoPlace(Path partial, Path cached) {
        try {
            try {
                Files.move(partial, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, cached, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sha256 a sidecar gives: {@code hex} alone (dl.k8s.io) or {@code hex  file-name} (GitHub releases). */
    private static String sidecarChecksum(KubernetesMirror source, KubernetesRelease release,
            KubernetesRelease.Artifact artifact) {
        String text;
        try (InputStream in = openArtifact(source, artifact.checksumPath(), artifact)) {
            byte[] bytes = in.readNBytes(MAX_SIDECAR_BYTES + 1);
            text = bytes.length > MAX_SIDECAR_BYTES ? "" : new String(bytes, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "KUBERNETES_MIRROR_UNAVAILABLE",
                    "reading " + source.location(artifact.checksumPath()) + " failed: " + e.getMessage(), e);
        }
        String[] fields = text.split("\\s+");
        String hex = fields[0].toLowerCase(Locale.ROOT);
        boolean namesThisFile = fields.length == 1
                || fields.length == 2 && fields[1].replaceFirst("^\\*", "").equals(artifact.fileName());
        if (!SHA256.matcher(hex).matches() || !namesThisFile) {
            throw mismatch(artifact, "the sidecar " + source.location(artifact.checksumPath())
                    + " does not hold the sha256 of " + artifact.fileName() + " (" + release.describe() + "): '"
                    + (text.length() > 200 ? text.substring(0, 200) + "…" : text) + "'");
        }
        return hex;
    }

    private static InputStream openArtifact(KubernetesMirror source, String path, KubernetesRelease.Artifact artifact) {
        try {
            return source.open(path);
        } catch (KubernetesMirror.Missing e) {
            throw new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_COMPONENT_NOT_IN_MIRROR",
                    artifact.component() + " " + artifact.version() + " is not in the Kubernetes components mirror: "
                            + e.getMessage() + " does not exist (copy the upstream release into the mirror, e.g. with"
                            + " deploy/mirror/sync-kubernetes-components.sh)", null);
        }
    }

    /** The pinned list, read for every build, so that an operator's update applies without a restart. */
    private Map<String, String> pinnedChecksums() {
        if (checksumsFile.isEmpty()) {
            return Map.of();
        }
        Map<String, String> pinned = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(checksumsFile.get(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_CHECKSUMS_FILE_UNREADABLE",
                    "byoos.worker.kubernetes-components.checksums-file " + checksumsFile.get() + " cannot be read: "
                            + e.getMessage(), e);
        }
        for (String line : lines) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            String[] fields = entry.split("\\s+", 2);
            String hex = fields[0].toLowerCase(Locale.ROOT);
            if (fields.length != 2 || !SHA256.matcher(hex).matches()) {
                throw new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_CHECKSUMS_FILE_UNREADABLE",
                        "byoos.worker.kubernetes-components.checksums-file " + checksumsFile.get()
                                + " has a line that is not 'sha256  relative/path': " + entry, null);
            }
            pinned.put(fields[1].replaceFirst("^\\*", "").replaceFirst("^\\./", ""), hex);
        }
        return pinned;
    }

    private static BuildException mismatch(KubernetesRelease.Artifact artifact, String detail) {
        return new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_COMPONENT_CHECKSUM_MISMATCH",
                artifact.component() + " " + artifact.version() + " failed verification: " + detail
                        + "; the artifact is not used", null);
    }
}
