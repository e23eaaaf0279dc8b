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
        return tarballBases(maxBytes, readTimeout, TestBases.TARBALL_LIMITS);
    }

    private TarballBases tarballBases(long maxBytes, Duration readTimeout, TarballBases.Limits limits) {
        return new TarballBases(baseCacheDir, ALLOWED_HOSTS, new TarballDownloader.Settings(
                Optional.of(downloadTls), maxBytes, Duration.ofSeconds(5), readTimeout), limits);
    }

    private Path obtain(TarballBases bases, BuildRequested.Tarball base, BuildCancellation cancellation) {
        return bases.obtain(base, workDir, new CommandRunner(log, cancellation), log, cancellation);
    }

    private NativeBuilder builder(List<String> allowedHosts) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(fixtures.resolve("bases"))
                .withRemoteBases(TestBases.debootstrapBases(baseCacheDir, List.of()), tarballBases(allowedHosts)));
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

    @Test
    void aCachedBaseChangedAfterItWasMadeIsNeverBuiltFromButDiscardedAndMadeAgain() throws IOException {
        String url = server.url("/images/base-tampered");
        server.serve("/images/base-tampered", gzip);
        BuildRequested.Tarball base = tarball(url, gzip);
        build(base, Files.createDirectories(workDir.resolve("first")));
        Files.writeString(cachedTree(base).resolve("etc/passwd"), "root::0:0:root:/root:/bin/sh\n");

        BuildException failure = assertThrows(BuildException.class,
                () -> build(base, Files.createDirectories(workDir.resolve("second"))));

        assertEquals("BASE_CACHE_CORRUPT", failure.code(), failure.getMessage());
        assertTrue(failure.retryable(), "a retry makes the base again");
        assertFalse(Files.exists(cachedTree(base)), "the changed entry is gone");
        Builder.BuiltImage again = build(base, Files.createDirectories(workDir.resolve("third")));
        assertEquals(TestBases.PASSWD, ImageInspector.open(again, workDir.resolve("third")).cat("/etc/passwd"),
                "built from the tarball again, not from the changed entry");
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
        // A FIFO where the builder reads a file would stop it for good.
        run("mkfifo", Files.createDirectories(tree.resolve("run")).resolve("initctl").toString());
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
        assertFalse(Files.exists(unpacked.resolve("run/initctl"), LinkOption.NOFOLLOW_LINKS), "no FIFO");
        assertTrue(log.toString().contains("3 device node(s) and FIFO(s) left out"), log.toString());
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

    /**
     * A file outside any build's scratch and cache directories, as /etc/shadow is: after a refused
     * archive it has its content and no second link (a link in the tree would copy it into images).
     */
    private static Path victim(String name) throws IOException {
        return Files.writeString(Files.createDirectories(fixtures.resolve("victims")).resolve(name), "secret\n");
    }

    private static void assertUntouched(Path victim) throws IOException {
        assertEquals("secret\n", Files.readString(victim));
        assertEquals(1, Files.getAttribute(victim, "unix:nlink"), "no hard link to " + victim);
    }

    /** A tarball base that is fine: after a refused one, the next build's base unpacks. */
    private void assertAGoodBaseStillUnpacks() {
        Path tree = obtain(tarballBases(ALLOWED_HOSTS), tarball(server.url("/images/base"), gzip),
                new BuildCancellation());
        assertTrue(Files.isRegularFile(tree.resolve("bin/busybox")), log.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative", "absolute"})
    void aHardLinkOutOfTheTreeIsRefusedAndNothingOutsideChanges(String kind) throws IOException {
        Path victim = victim("shadow-" + kind);
        String target = kind.equals("absolute") ? victim.toString()
                : "../".repeat(fixtures.getNameCount() + 4) + victim.toString().substring(1);
        Path tree = Files.createDirectories(fixtures.resolve("hardlink-" + kind + "/tree/etc"));
        Files.writeString(tree.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        Files.createLink(tree.resolve("shadow"), tree.resolve("passwd"));
        Path archive = fixtures.resolve("hardlink-" + kind + ".tar");
        // Only the hard link's target is rewritten (flags RSh); -P keeps it as written.
        run("tar", "-P", "--transform=s|^etc/passwd$|" + target + "|RSh", "-cf", archive.toString(), "-C",
                tree.getParent().toString(), "etc/passwd", "etc/shadow");
        assertTrue(run("tar", "-P", "-tvf", archive.toString()).contains("etc/shadow link to " + target));
        server.serve("/images/hardlink-" + kind, archive);

        BuildException failure = failedBuild(tarball(server.url("/images/hardlink-" + kind), archive), ALLOWED_HOSTS);

        assertEquals("UNSAFE_BASE_ARCHIVE", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("a hard link to outside its tree (etc/shadow to " + target + ")"),
                failure.getMessage());
        assertUntouched(victim);
        assertNothingCached();
        assertAGoodBaseStillUnpacks();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "hard-link"})
    void aMemberThroughASymlinkMemberIsRefusedAndNothingOutsideChanges(String kind) throws IOException {
        Path victim = victim("through-" + kind);
        Path dir = Files.createDirectories(fixtures.resolve("through-" + kind));
        Path links = Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(links.resolve("x"), victim.getParent());
        Path archive = dir.resolve("base.tar");
        run("tar", "-cf", archive.toString(), "-C", links.toString(), "x");
        // Appended: a real directory x with a file in it, listed after the symlink x.
        Path real = Files.createDirectories(dir.resolve("real/x"));
        if (kind.equals("file")) {
            Files.writeString(real.resolve(victim.getFileName().toString()), "overwritten\n");
            run("tar", "-rf", archive.toString(), "-C", real.getParent().toString(), "x/" + victim.getFileName());
        } else {
            Files.writeString(real.resolve("a"), "a\n");
            Files.createLink(real.resolve("b"), real.resolve("a"));
            run("tar", "--transform=s|^x/a$|x/" + victim.getFileName() + "|RSh", "-rf", archive.toString(), "-C",
                    real.getParent().toString(), "x/a", "x/b");
        }
        server.serve("/images/through-" + kind, archive);

        BuildException failure = failedBuild(tarball(server.url("/images/through-" + kind), archive), ALLOWED_HOSTS);

        assertEquals("UNSAFE_BASE_ARCHIVE", failure.code());
        assertTrue(failure.getMessage().contains("reached through the symlink x"), failure.getMessage());
        assertUntouched(victim);
        try (Stream<Path> files = Files.list(victim.getParent())) {
            assertTrue(files.allMatch(file -> file.getFileName().toString().startsWith("shadow-")
                    || file.getFileName().toString().startsWith("through-")), "nothing new beside the victims");
        }
        assertNothingCached();
        assertAGoodBaseStillUnpacks();
    }

    @Test
    void aHugeSparseFileIsRefusedAtItsApparentSizeBeforeAnythingIsUnpacked() throws IOException {
        Path tree = Files.createDirectories(fixtures.resolve("sparse/tree"));
        run("truncate", "-s", "1T", tree.resolve("huge").toString());
        Path archive = fixtures.resolve("sparse.tar.gz");
        run("tar", "-S", "--gzip", "-cf", archive.toString(), "-C", tree.toString(), ".");
        assertTrue(Files.size(archive) < 4096, "a tiny archive: " + Files.size(archive));
        server.serve("/images/sparse", archive);

        BuildException failure = failedBuild(tarball(server.url("/images/sparse"), archive), ALLOWED_HOSTS);

        assertEquals("BASE_TOO_LARGE", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("unpacks to more than " + TestBases.TARBALL_LIMITS.maxUnpackedBytes()),
                failure.getMessage());
        assertFalse(log.toString().contains("-xf"), "tar never unpacked it: " + log);
        assertNothingCached();
        assertAGoodBaseStillUnpacks();
    }

    @Test
    void moreMembersThanTheWorkerTakesAreRefusedBeforeAnythingIsUnpacked() throws IOException {
        Path archive = manyFiles("many", 100, "f");
        TarballBases bases = tarballBases(1L << 30, Duration.ofSeconds(5), new TarballBases.Limits(1L << 30, 50));

        BuildException failure = assertThrows(BuildException.class,
                () -> obtain(bases, tarball(server.url("/images/many"), archive), new BuildCancellation()));

        assertEquals("BASE_TOO_MANY_FILES", failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("more than 50 members"), failure.getMessage());
        assertFalse(log.toString().contains("-xf"), "tar never unpacked it: " + log);
        assertNothingCached();
        assertAGoodBaseStillUnpacks();
    }

    @Test
    void aListingTooLongForTheMemberLimitIsCutOffAndRefused() throws IOException {
        // 100 members of 200-character names: their listing is beyond 50 members' allowance.
        Path archive = manyFiles("long-names", 100, "n".repeat(200));
        TarballBases bases = tarballBases(1L << 30, Duration.ofSeconds(5), new TarballBases.Limits(1L << 30, 50));

        BuildException failure = assertThrows(BuildException.class,
                () -> obtain(bases, tarball(server.url("/images/long-names"), archive), new BuildCancellation()));

        assertEquals("BASE_TOO_MANY_FILES", failure.code());
        assertTrue(failure.getMessage().contains("lists more than " + 50 * 200 + " bytes"), failure.getMessage());
        assertNothingCached();
    }

    /** An archive of {@code count} empty files, served at {@code /images/<name>}. */
    private static Path manyFiles(String name, int count, String prefix) throws IOException {
        Path tree = Files.createDirectories(fixtures.resolve(name + "/tree"));
        for (int i = 0; i < count; i++) {
            Files.createFile(tree.resolve(prefix + i));
        }
        Path archive = fixtures.resolve(name + ".tar.gz");
        run("tar", "--gzip", "-cf", archive.toString(), "-C", tree.toString(), ".");
        server.serve("/images/" + name, archive);
        return archive;
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
