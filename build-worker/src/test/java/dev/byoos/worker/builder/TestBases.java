package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.byoos.contract.AptSources;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.SuiteReleases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.base.TarballDownloader;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Bases assembled at test time (no binaries in the repository): a tiny base with a shell, made of
 * the worker machine's statically linked busybox (Debian's busybox-static package).
 */
public final class TestBases {

    public static final String BUSYBOX = "busybox-test";
    public static final String DPKG = "dpkg-test";
    /** The worker machine's own dpkg database: a real one, whose content the host's dpkg-query can confirm. */
    static final Path HOST_DPKG_STATUS = Path.of("/var/lib/dpkg/status");
    public static final Path EXAMPLE_BASES = Path.of("..", "examples", "bases").toAbsolutePath().normalize();
    /**
     * debootstrap bases for tests, kept in the user's cache rather than a test's temporary
     * directory: made once per machine (or CI run, ~1.5 min and ~700 MB for bookworm with a
     * kernel), then reused by every test and every later run.
     */
    public static final Path DEBOOTSTRAP_CACHE = Path.of(System.getProperty("user.home"), ".cache", "byoos",
            "debootstrap-bases");
    /** Release files of test mirrors: the Java runtime's CAs, no proxy, short timeouts. */
    public static final SuiteReleases.Settings RELEASES = new SuiteReleases.Settings(Optional.empty(), Optional.empty(),
            SuiteReleases.DEFAULT_MAX_BYTES, Duration.ofSeconds(10), Duration.ofSeconds(30));
    /** Downloads of tarball bases in tests that build from other bases: no private CA, small and short. */
    public static final TarballDownloader.Settings DOWNLOADS = new TarballDownloader.Settings(Optional.empty(),
            1L << 30, Duration.ofSeconds(10), Duration.ofSeconds(10));
    /** What tarball bases in tests may unpack to: room for the test bases. */
    public static final TarballBases.Limits TARBALL_LIMITS = new TarballBases.Limits(1L << 30, 10_000);
    static final Path HOST_BUSYBOX = Path.of("/bin/busybox");
    public static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            """;
    static final String GROUP = """
            root:x:0:
            daemon:x:1:
            adm:x:4:
            users:x:100:
            nogroup:x:65534:
            """;
    /** Stands in for a distribution's CA bundle: the builder appends to it, whatever it holds. */
    static final String CA_BUNDLE = "# the base's own trust store\n";

    private TestBases() {
    }

    /** Copies the example bases and adds the busybox and dpkg bases: a bases directory for the worker. */
    /** debootstrap bases in {@code cacheDir} from {@code mirrorHosts}, their Release files read with {@link #RELEASES}. */
    public static DebootstrapBases debootstrapBases(Path cacheDir, Collection<String> mirrorHosts) {
        return new DebootstrapBases(cacheDir, mirrorHosts, new SuiteReleases(RELEASES), PackageNetwork.direct(), Map.of());
    }

    public static Path catalog(Path basesDir) {
        run(Duration.ofMinutes(1), "cp", "-a", "--", EXAMPLE_BASES + "/.", basesDir.toString());
        busyboxBase(basesDir);
        dpkgBase(basesDir);
        return basesDir;
    }

    /**
     * The busybox base plus the worker machine's dpkg database and os-release: a base whose
     * package database is real (it lists busybox-static, whose binary the base does hold).
     *
     * @return the base's directory, {@code basesDir/dpkg-test}
     */
    public static Path dpkgBase(Path basesDir) {
        Path busybox = basesDir.resolve(BUSYBOX);
        if (!Files.isDirectory(busybox)) {
            busyboxBase(basesDir);
        }
        Path base = basesDir.resolve(DPKG);
        run(Duration.ofMinutes(1), "cp", "-a", "--", busybox.toString(), base.toString());
        try {
            Files.copy(HOST_DPKG_STATUS, Files.createDirectories(base.resolve("var/lib/dpkg")).resolve("status"));
            Files.copy(Path.of("/usr/lib/os-release"), base.resolve("etc/os-release"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return base;
    }

    /** @return how many packages the worker machine's dpkg database has installed (dpkg-query's count) */
    public static long hostInstalledPackageCount() {
        return run(Duration.ofSeconds(30), "dpkg-query", "-W", "-f=${db:Status-Status}\n").lines()
                .filter("installed"::equals).count();
    }

    /** @return the version of {@code dpkgPackage} the worker machine's dpkg database records */
    public static String hostPackageVersion(String dpkgPackage) {
        return run(Duration.ofSeconds(30), "dpkg-query", "-W", "-f=${Version}", dpkgPackage);
    }

    /** @return the base's directory, {@code basesDir/busybox-test} */
    public static Path busyboxBase(Path basesDir) {
        if (!Files.isExecutable(HOST_BUSYBOX)) {
            throw new IllegalStateException(HOST_BUSYBOX + " is missing: apt-get install busybox-static");
        }
        Path base = basesDir.resolve(BUSYBOX);
        try {
            Path bin = Files.createDirectories(base.resolve("bin"));
            Files.copy(HOST_BUSYBOX, bin.resolve("busybox"));
            for (String applet : run(Duration.ofSeconds(30), HOST_BUSYBOX.toString(), "--list").split("\n")) {
                if (!applet.isBlank() && !applet.equals("busybox")) {
                    Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
                }
            }
            Path etc = Files.createDirectories(base.resolve("etc"));
            Files.writeString(etc.resolve("passwd"), PASSWD);
            Files.writeString(etc.resolve("group"), GROUP);
            Path shadow = Files.writeString(etc.resolve("shadow"), "root:*:::::::\ndaemon:*:::::::\nnobody:*:::::::\n");
            Files.setPosixFilePermissions(shadow, PosixFilePermissions.fromString("rw-r-----"));
            Files.writeString(Files.createDirectories(etc.resolve("ssl/certs")).resolve("ca-certificates.crt"),
                    CA_BUNDLE);
            Files.setPosixFilePermissions(Files.createDirectories(base.resolve("tmp")),
                    PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(Files.createDirectories(base.resolve("root")),
                    PosixFilePermissions.fromString("rwx------"));
            // sh opens /dev/null for background jobs; real bases ship it too (as root we can make it).
            run(Duration.ofSeconds(30), "mknod", "-m", "666",
                    Files.createDirectories(base.resolve("dev")).resolve("null").toString(), "c", "1", "3");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return base;
    }

    private static String run(Duration timeout, String... command) {
        return new CommandRunner(new BuildLog(), new BuildCancellation())
                .run(timeout, Path.of(".").toAbsolutePath(), null, command);
    }

    /**
     * The Debian mirror real bases are bootstrapped from: {@code -Dbyoos.test.debian-mirror}, else the
     * archive this machine's apt sources name for a Debian release (as the devstack's default mirror),
     * so no mirror is written into the tests. http suffices: debootstrap verifies the Release file's
     * signature. Looked up on first use: only the tests that bootstrap fail on a machine without one.
     */
    public static String debianMirror() {
        return DebianMirror.URL;
    }

    private static final class DebianMirror {
        static final String URL = find();
    }

    private static String find() {
        return configuredDebianMirror().orElseThrow(() -> new IllegalStateException("No Debian mirror for the tests "
                + "that build real images: this machine's apt sources name no archive for bookworm, trixie or bullseye; "
                + "set -Dbyoos.test.debian-mirror=<http(s) Debian archive URL>"));
    }

    /** {@link #debianMirror()}'s answer, or none, without failing (and so without spoiling its first use). */
    static Optional<String> configuredDebianMirror() {
        String configured = System.getProperty("byoos.test.debian-mirror", "");
        if (!configured.isBlank()) {
            return Optional.of(configured.strip());
        }
        return Stream.of("bookworm", "trixie", "bullseye").map(AptSources::archive).flatMap(Optional::stream)
                .findFirst();
    }
}
