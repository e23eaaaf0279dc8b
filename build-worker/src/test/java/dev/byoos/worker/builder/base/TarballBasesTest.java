package dev.byoos.worker.builder.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.HttpsTestServer;
import dev.byoos.worker.builder.ImageInspector;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.NativeBuilderTest;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Tarball bases downloaded from a real https server (a certificate made at test time, trusted
 * through the TLS configuration byoos-downloads), verified, cached by digest and built into images.
 */
class TarballBasesTest {

    static final List<String> ALLOWED_HOSTS = List.of("127.0.0.1");

    @TempDir
    static Path fixtures;
    static HttpsTestServer server;
    /** Trusts the Java runtime's CAs and the test server's, as the worker does with byoos-downloads set. */
    static SSLContext downloadTls;
    /** The busybox test base as archives, by compression: gz, xz, zst and plain tar. */
    static Path gzip;
    static Path xz;
    static Path zstd;
    static Path plain;

    @TempDir
    Path baseCacheDir;
    @TempDir
    Path workDir;

    private final BuildLog log = new BuildLog();

    @BeforeAll
    static void startServer() throws IOException, GeneralSecurityException {
        Path base = TestBases.busyboxBase(Files.createDirectories(fixtures.resolve("bases")));
        gzip = archive(base, "base.tar.gz", "--gzip");
        xz = archive(base, "base.tar.xz", "--xz");
        zstd = archive(base, "base.tar.zst", "--zstd");
        plain = archive(base, "base.tar", null);
        server = new HttpsTestServer(fixtures);
        downloadTls = DownloadTrust.trustingAlso(server.trustStore());
        // No suffix in the URLs: the compression must be recognised from the content.
        server.serve("/images/base", gzip);
        server.serve("/images/base-xz", xz);
        server.serve("/images/base-zst", zstd);
        server.serve("/images/base-plain", plain);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static Path archive(Path tree, String name, String compression) {
        Path archive = fixtures.resolve(name);
        run(compression == null
                ? new String[] {"tar", "--numeric-owner", "-cf", archive.toString(), "-C", tree.toString(), "."}
                : new String[] {"tar", compression, "--numeric-owner", "-cf", archive.toString(), "-C",
                        tree.toString(), "."});
        return archive;
    }

    private TarballBases tarballBases(List<String> allowedHosts) {
        return tarballBases(allowedHosts, 1L << 30, Duration.ofSeconds(5));
    }

    private TarballBases tarballBases(List<String> allowedHosts, long maxBytes, Duration readTimeout) {
        return new TarballBases(baseCacheDir, allowedHosts, new TarballDownloader.Settings(
                Optional.of(downloadTls), maxBytes, Duration.ofSeconds(5), readTimeout));
    }

    private Path obtain(TarballBases bases, BuildRequested.Tarball base, BuildCancellation cancellation) {
        return bases.obtain(base, workDir, new CommandRunner(log, cancellation), log, cancellation);
    }

    private NativeBuilder builder(List<String> allowedHosts) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(fixtures.resolve("bases"))
                .withRemoteBases(new DebootstrapBases(baseCacheDir, List.of()), tarballBases(allowedHosts)));
    }

    private Builder.BuiltImage build(BuildRequested.Tarball base, Path dir) {
        return builder(ALLOWED_HOSTS).build(NativeBuilderTest.request("raw", BuildRequested.BaseImage.of(base),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "from a tarball\n", "0644"))), dir, log,
                new BuildCancellation());
    }

    private BuildException failedBuild(BuildRequested.Tarball base, List<String> allowedHosts) {
        return assertThrows(BuildException.class, () -> builder(allowedHosts).build(
                NativeBuilderTest.request("raw", BuildRequested.BaseImage.of(base), List.of()), workDir, log,
                new BuildCancellation()));
    }

    private static BuildRequested.Tarball tarball(String url, Path archive) {
        return new BuildRequested.Tarball(url, Sha256.of(archive));
    }

    @Test
    void anImageBuiltFromATarballHasItsFilesAndASecondBuildOfTheSameDigestDoesNotDownloadIt() throws IOException {
        String url = server.url("/images/base");
        BuildRequested.Tarball base = tarball(url, gzip);
        int before = server.requests("/images/base");

        Builder.BuiltImage image = build(base, Files.createDirectories(workDir.resolve("first")));

        ImageInspector inside = ImageInspector.open(image, workDir.resolve("first"));
        assertEquals(TestBases.PASSWD, inside.cat("/etc/passwd"), "the tarball's files are in the image");
        assertEquals("from a tarball\n", inside.cat("/etc/motd"), "and the spec's layers on top");
        assertEquals(new BuildCompleted.Input("base:tarball/" + url, Sha256.of(gzip), url), image.inputs().get(0));
        assertEquals(before + 1, server.requests("/images/base"));
        assertTrue(Files.isRegularFile(cachedTree(base).resolve("bin/busybox")), "unpacked once, into the cache");

        build(base, Files.createDirectories(workDir.resolve("second")));
        assertEquals(before + 1, server.requests("/images/base"), "the second build downloaded nothing: " + log);
        assertTrue(log.toString().contains("tarball base " + base.sha256() + " (" + url + "): cached"), log.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"xz", "zst", "plain"})
    void everyCompressionIsRecognisedByContent(String compression) {
        Path archive = switch (compression) {
            case "xz" -> xz;
            case "zst" -> zstd;
            default -> plain;
        };
        Path tree = obtain(tarballBases(ALLOWED_HOSTS), tarball(server.url("/images/base-" + compression), archive),
                new BuildCancellation());
        assertTrue(Files.isSymbolicLink(tree.resolve("bin/sh")), "unpacked: " + log);
    }

    @Test
    void concurrentBuildsOfOneDigestDownloadItOnce() throws Exception {
        server.serve("/images/base-concurrent", gzip);
        BuildRequested.Tarball base = tarball(server.url("/images/base-concurrent"), gzip);
        TarballBases bases = tarballBases(ALLOWED_HOSTS);
        ExecutorService builds = Executors.newFixedThreadPool(2);
        try {
            List<Future<Path>> trees = List.of(1, 2).stream().map(build -> builds.submit(() -> bases.obtain(base,
                    Files.createDirectories(workDir.resolve("build-" + build)),
                    new CommandRunner(new BuildLog(), new BuildCancellation()), new BuildLog(),
                    new BuildCancellation()))).toList();
            assertEquals(trees.get(0).get(), trees.get(1).get());
        } finally {
            builds.shutdownNow();
        }
        assertEquals(1, server.requests("/images/base-concurrent"));
    }

    @Test
    void aDigestOtherThanThePinnedOneFailsTheBuildAndCachesNothing() throws IOException {
        String url = server.url("/images/base");
        String pinned = "0".repeat(64);
        BuildException failure = failedBuild(new BuildRequested.Tarball(url, pinned), ALLOWED_HOSTS);

        assertEquals("BASE_CHECKSUM_MISMATCH", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains(url) && failure.getMessage().contains(pinned)
                && failure.getMessage().contains(Sha256.of(gzip)), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void aMissingTarballIsNotFound() throws IOException {
        String url = server.url("/images/gone");
        BuildException failure = failedBuild(new BuildRequested.Tarball(url, Sha256.of(gzip)), ALLOWED_HOSTS);

        assertEquals("BASE_NOT_FOUND", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void aHostTheWorkerDoesNotAllowIsRefusedWithoutARequest() {
        int before = server.requests("/images/base");
        String url = server.url("/images/base").replace("127.0.0.1", "localhost");
        BuildException failure = failedBuild(tarball(url, gzip), ALLOWED_HOSTS);

        assertEquals("HOST_NOT_ALLOWED", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("localhost"), failure.getMessage());
        assertEquals(before, server.requests("/images/base"));
    }

    @Test
    void plainHttpIsRefusedEvenWhenTheRequestAsksForIt() {
        String url = server.url("/images/base").replace("https://", "http://");
        BuildException failure = failedBuild(tarball(url, gzip), ALLOWED_HOSTS);

        assertEquals("INVALID_TARBALL_URL", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("must be an https URL"), failure.getMessage());
    }

    @Test
    void aRedirectToPlainHttpIsNotFollowed() throws IOException {
        String insecure = server.url("/images/base").replace("https://", "http://");
        server.respond("/images/downgrade", exchange -> {
            exchange.getResponseHeaders().add("Location", insecure);
            exchange.sendResponseHeaders(302, -1);
        });
        BuildException failure = failedBuild(tarball(server.url("/images/downgrade"), gzip), ALLOWED_HOSTS);

        assertEquals("INVALID_TARBALL_URL", failure.code());
        assertTrue(failure.getMessage().contains(insecure), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void deviceNodesInATarballAreLeftOutAndEverythingElseIsUnpacked() throws IOException {
        // Unpacked as root, a block device here would be the worker's own disk in the base cache.
        Path tree = Files.createDirectories(fixtures.resolve("devices/tree"));
        Files.writeString(Files.createDirectories(tree.resolve("etc")).resolve("hostname"), "node\n");
        Path dev = Files.createDirectories(tree.resolve("dev"));
        run("mknod", dev.resolve("sda").toString(), "b", "8", "0");
        run("mknod", dev.resolve("mem").toString(), "c", "1", "1");
        Path archive = fixtures.resolve("devices.tar");
        run("tar", "--numeric-owner", "-cf", archive.toString(), "-C", tree.toString(), ".");
        assertTrue(run("tar", "-tvf", archive.toString()).contains("./dev/sda"), "the archive has a block device");
        server.serve("/images/devices", archive);

        Path unpacked = obtain(tarballBases(ALLOWED_HOSTS), tarball(server.url("/images/devices"), archive),
                new BuildCancellation());

        assertEquals("node\n", Files.readString(unpacked.resolve("etc/hostname")));
        assertTrue(Files.isDirectory(unpacked.resolve("dev")), "the directory stays");
        assertFalse(Files.exists(unpacked.resolve("dev/sda"), LinkOption.NOFOLLOW_LINKS), "no block device");
        assertFalse(Files.exists(unpacked.resolve("dev/mem"), LinkOption.NOFOLLOW_LINKS), "no character device");
        assertTrue(log.toString().contains("2 device node(s) left out"), log.toString());
    }

    @Test
    void anArchiveWithAMemberOutsideItsTreeIsRefused() throws IOException {
        Path tree = Files.createDirectories(fixtures.resolve("evil/tree"));
        Files.writeString(fixtures.resolve("evil/outside"), "escaped\n");
        Path evil = fixtures.resolve("evil.tar");
        // -P keeps the ../ that tar would otherwise strip while archiving.
        run("tar", "-P", "-cf", evil.toString(), "-C", tree.toString(), "../outside");
        assertTrue(run("tar", "-tf", evil.toString()).contains("../outside"), "the archive has a ../ member");
        server.serve("/images/evil", evil);

        BuildException failure = failedBuild(tarball(server.url("/images/evil"), evil), ALLOWED_HOSTS);

        assertEquals("UNSAFE_BASE_ARCHIVE", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("../outside"), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void aConnectionDroppedHalfWayIsRetryableAndCachesNothing() throws IOException {
        server.respond("/images/flaky", HttpsTestServer.droppingHalfWay(Files.readAllBytes(gzip)));
        BuildException failure = failedBuild(tarball(server.url("/images/flaky"), gzip), ALLOWED_HOSTS);

        assertEquals("BASE_DOWNLOAD_FAILED", failure.code());
        assertTrue(failure.retryable(), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void aServerThatFallsSilentFailsTheDownloadAfterTheReadTimeoutAsRetryable() throws IOException {
        server.respond("/images/stalling", HttpsTestServer.stallingHalfWay(Files.readAllBytes(gzip),
                Duration.ofSeconds(30)));
        TarballBases bases = tarballBases(ALLOWED_HOSTS, 1L << 30, Duration.ofSeconds(1));
        BuildException failure = assertThrows(BuildException.class,
                () -> obtain(bases, tarball(server.url("/images/stalling"), gzip), new BuildCancellation()));

        assertEquals("BASE_DOWNLOAD_FAILED", failure.code());
        assertTrue(failure.retryable());
        assertTrue(failure.getMessage().contains("no data for PT1S"), failure.getMessage());
        assertNothingCached();
    }

    @Test
    void cancellingTheBuildStopsItsDownload() throws IOException {
        server.respond("/images/stalling-cancelled", HttpsTestServer.stallingHalfWay(Files.readAllBytes(gzip),
                Duration.ofSeconds(30)));
        BuildCancellation cancellation = new BuildCancellation();
        CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(cancellation::cancel);
        long started = System.nanoTime();

        assertThrows(BuildCancelledException.class, () -> obtain(tarballBases(ALLOWED_HOSTS),
                tarball(server.url("/images/stalling-cancelled"), gzip), cancellation));
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(4)) < 0,
                "stopped well before the 5 s read timeout");
        assertNothingCached();
    }

    @Test
    void aTarballLargerThanTheWorkerTakesIsRefused() throws IOException {
        TarballBases bases = tarballBases(ALLOWED_HOSTS, 1024, Duration.ofSeconds(5));
        BuildException failure = assertThrows(BuildException.class,
                () -> obtain(bases, tarball(server.url("/images/base"), gzip), new BuildCancellation()));

        assertEquals("BASE_TOO_LARGE", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains(Files.size(gzip) + " bytes"), failure.getMessage());
        assertNothingCached();
    }

    private Path cachedTree(BuildRequested.Tarball base) {
        return baseCacheDir.resolve(TarballBases.CACHE_SUBDIRECTORY).resolve(base.sha256()).resolve("rootfs");
    }

    /** Nothing but lock files: no entry, no partial one. */
    private void assertNothingCached() throws IOException {
        Path tarballs = baseCacheDir.resolve(TarballBases.CACHE_SUBDIRECTORY);
        if (Files.isDirectory(tarballs)) {
            try (Stream<Path> entries = Files.list(tarballs)) {
                List<String> left = entries.map(entry -> entry.getFileName().toString())
                        .filter(name -> !name.endsWith(".lock")).toList();
                assertEquals(List.of(), left, "the cache holds nothing");
            }
        }
    }

    private static String run(String... command) {
        return new CommandRunner(new BuildLog(), new BuildCancellation()).run(Duration.ofMinutes(1),
                Path.of(".").toAbsolutePath(), null, command);
    }
}
