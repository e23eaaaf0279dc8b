import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.SuiteReleases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.base.TarballDownloader;
import dev.byoos.worker.builder.cache.ImageCache;
import dev.byoos.worker.builder.cache.TreeCache;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * Times the native builder on the Debian 12 minimal example (debootstrap bookworm base, already
 * in the machine's base cache; boot test off): full builds, then cached rebuilds; last, a full build
 * and tree-cached rebuilds with the boot test on, as a worker runs them. Leaves the last
 * full build's directory (tree, raw disk, ESP files) for bench/native-build.sh's floor.
 * Prints one "name seconds" line per measurement.
 *
 * Usage: java -cp <build-worker runtime classpath> bench/NativeBuildBench.java RUNS WORK_DIR MIRROR [formats]
 * ({@code formats}: only each cloud's format from the cached tree, see {@link #formats}).
 */
public class NativeBuildBench {

    static final Path BASE_CACHE = Path.of(System.getProperty("user.home"), ".cache", "byoos", "debootstrap-bases");
    /** The mirror the cached bookworm base was made from (native-build.sh reads it from the base's inputs.txt). */
    static String mirror;

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        Path work = Path.of(args[1]).toAbsolutePath();
        mirror = args[2];
        Path noLocalBases = Files.createDirectories(work.resolve("no-local-bases"));
        BootSmokeTest noBootTest = new BootSmokeTest(new BootSmokeTest.Settings(false, Duration.ofMinutes(2)));
        DebootstrapBases bases = new DebootstrapBases(BASE_CACHE, List.of(URI.create(mirror).getHost()),
                new SuiteReleases(new SuiteReleases.Settings(Optional.empty(), Optional.empty(),
                        SuiteReleases.DEFAULT_MAX_BYTES, Duration.ofSeconds(10), Duration.ofSeconds(30))),
                PackageNetwork.direct(), Map.of());
        // The example's base is a debootstrap one: tarball bases are never asked for here.
        TarballBases noTarballs = new TarballBases(work.resolve("tarball-bases"), List.of(),
                new TarballDownloader.Settings(Optional.empty(), 0, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                new TarballBases.Limits(0, 0));

        NativeBuilder.Settings settings = NativeBuilder.Settings.localBasesOnly(noLocalBases)
                .withRemoteBases(bases, noTarballs).withBootTest(noBootTest).withBuilderVersion("bench");
        if (args.length > 3 && args[3].equals("formats")) {
            formats(runs, work, settings);
            return;
        }
        NativeBuilder uncached = new NativeBuilder(settings);
        for (int run = 1; run <= runs; run++) {
            Path dir = work.resolve("native-" + run);
            BuildLog log = new BuildLog();
            double seconds = time(() -> uncached.build(debian12Minimal(), Files.createDirectories(dir), log,
                    new BuildCancellation()));
            Files.writeString(dir.resolve("build.log"), log.toString());
            System.out.printf("native %.2f%n", seconds);
            System.out.printf("native-base-copy %.2f%n", between(log, "[base ", "[layers "));
            System.out.printf("native-disk-and-format %.2f%n", between(log, "[image ", null));
            if (run < runs) {
                // Only the last build's directory is kept (for the floor): each holds a tree and a raw disk.
                new ProcessBuilder("rm", "-rf", "--", dir.toString()).inheritIO().start().waitFor();
            }
        }

        NativeBuilder cached = new NativeBuilder(settings.withCaches(
                new ImageCache(work.resolve("image-cache"), 64L << 30), TreeCache.disabled()));
        cached.build(debian12Minimal(), Files.createDirectories(work.resolve("cache-fill")), new BuildLog(),
                new BuildCancellation());
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createDirectories(work.resolve("cached-" + run));
            Builder.BuiltImage[] image = new Builder.BuiltImage[1];
            double seconds = time(() -> image[0] = cached.build(debian12Minimal(), dir, new BuildLog(),
                    new BuildCancellation()));
            if (!image[0].fromCache()) {
                throw new IllegalStateException("the rebuild was not served from the cache");
            }
            System.out.printf("cached %.3f%n", seconds);
        }

        // Another build of the same tree (the image itself not cached): base copy and layers skipped.
        NativeBuilder trees = new NativeBuilder(settings.withCaches(ImageCache.disabled(),
                new TreeCache(work.resolve("tree-cache"), 64L << 30)));
        trees.build(debian12Minimal(), Files.createDirectories(work.resolve("tree-fill")), new BuildLog(),
                new BuildCancellation());
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createDirectories(work.resolve("tree-cached-" + run));
            BuildLog log = new BuildLog();
            double seconds = time(() -> trees.build(debian12Minimal(), dir, log, new BuildCancellation()));
            if (!log.toString().contains("tree cache: hit")) {
                throw new IllegalStateException("the rebuild did not start from the cached tree");
            }
            System.out.printf("tree-cached %.2f%n", seconds);
            new ProcessBuilder("rm", "-rf", "--", dir.toString()).inheritIO().start().waitFor();
        }

        // The same with the boot test on, as a worker runs: a build whose tree (and disk) another
        // build made, the image itself not cached.
        NativeBuilder booting = new NativeBuilder(settings.withBootTest(new BootSmokeTest(BootSmokeTest.Settings.defaults()))
                .withCaches(ImageCache.disabled(), new TreeCache(work.resolve("booted-tree-cache"), 64L << 30)));
        Path fill = Files.createDirectories(work.resolve("booted-fill"));
        double booted = time(() -> booting.build(debian12Minimal(), fill, new BuildLog(), new BuildCancellation()));
        System.out.printf("native-boot-tested %.2f%n", booted);
        new ProcessBuilder("rm", "-rf", "--", fill.toString()).inheritIO().start().waitFor();
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createDirectories(work.resolve("booted-tree-cached-" + run));
            BuildLog log = new BuildLog();
            Builder.BuiltImage[] image = new Builder.BuiltImage[1];
            double seconds = time(() -> image[0] = booting.build(debian12Minimal(), dir, log, new BuildCancellation()));
            if (!log.toString().contains("tree cache: hit") || !BootSmokeTest.PASSED.equals(image[0].bootTest().result())) {
                throw new IllegalStateException("the rebuild did not start from the cached tree, or did not pass its boot test");
            }
            System.out.printf("tree-cached-boot-tested %.2f%n", seconds);
            new ProcessBuilder("rm", "-rf", "--", dir.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * Each cloud's format written from the example's cached tree (boot test off, image cache off):
     * the whole build, and its image phase (disk, format, check), per run.
     */
    static void formats(int runs, Path work, NativeBuilder.Settings settings) throws Exception {
        NativeBuilder trees = new NativeBuilder(settings.withCaches(ImageCache.disabled(),
                new TreeCache(work.resolve("tree-cache"), 64L << 30)));
        trees.build(debian12Minimal(), Files.createDirectories(work.resolve("tree-fill")), new BuildLog(),
                new BuildCancellation());
        List<BuildCoordinates.Target> targets = List.of(new BuildCoordinates.Target("qemu", "qcow2"),
                new BuildCoordinates.Target("gcp", "gcp-tar"), new BuildCoordinates.Target("maas", "tgz"),
                new BuildCoordinates.Target("edge", "oci"), new BuildCoordinates.Target("vsphere", "ova"),
                new BuildCoordinates.Target("azure", "vhd"));
        for (int run = 1; run <= runs; run++) {
            for (BuildCoordinates.Target target : targets) {
                Path dir = Files.createDirectories(work.resolve(target.format() + "-" + run));
                BuildLog log = new BuildLog();
                Builder.BuiltImage[] image = new Builder.BuiltImage[1];
                double seconds = time(() -> image[0] = trees.build(debian12Minimal(target), dir, log,
                        new BuildCancellation()));
                if (!log.toString().contains("tree cache: hit")) {
                    throw new IllegalStateException("the " + target.format() + " build did not start from the cached tree");
                }
                System.out.printf("format-%s %.2f (image phase %.2f, %d bytes)%n", target.format(), seconds,
                        between(log, "[image ", null), Files.size(image[0].file()));
                new ProcessBuilder("rm", "-rf", "--", dir.toString()).inheritIO().start().waitFor();
            }
        }
    }

    /** examples/debian-12-minimal.yaml as spec-service turns it into a build request. */
    static BuildRequested debian12Minimal() {
        return debian12Minimal(new BuildCoordinates.Target("qemu", "qcow2"));
    }

    /** The same for another cloud and format. */
    static BuildRequested debian12Minimal(BuildCoordinates.Target target) {
        BuildCoordinates build = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "debian-12-minimal", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                target,
                new BuildCoordinates.Pack("byoos-debian-12-minimal", "1.0.0", "Debian 12 minimal (BYOOS)"));
        return new BuildRequested(build,
                new BuildRequested.BaseImage(null, new BuildRequested.Debootstrap("bookworm", mirror)),
                List.of(new BuildRequested.FileCustomization("/etc/motd",
                        "Minimal Debian 12 node image built by BYOOS Factory.\n", "0644")),
                BuildRequested.STANDARD, List.of(), List.of(), Map.of("net.ipv4.ip_forward", "1"),
                List.of("overlay", "br_netfilter"), List.of(), List.of());
    }

    interface Step {
        void run() throws Exception;
    }

    static double time(Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds between the log line starting phase {@code from} and the one starting {@code to} (or the last line). */
    static double between(BuildLog log, String from, String to) {
        Instant start = null;
        Instant end = null;
        for (String line : log.toString().split("\n")) {
            int space = line.indexOf(' ');
            if (space < 0) {
                continue;
            }
            Instant at;
            try {
                at = Instant.parse(line.substring(0, space));
            } catch (RuntimeException notATimestamp) {
                continue;
            }
            String text = line.substring(space + 1);
            if (start == null && text.startsWith(from)) {
                start = at;
            } else if (start != null && (to == null || end == null && text.startsWith(to))) {
                end = at;
            }
        }
        return Duration.between(start, end).toNanos() / 1e9;
    }
}
