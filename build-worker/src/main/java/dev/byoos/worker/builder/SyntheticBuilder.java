package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.quarkus.runtime.configuration.ConfigUtils;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/**
 * A benchmark aid, never a real builder: instead of a disk image it writes a small tar of the
 * build's coordinates and the spec's files, so that everything after the build (staging upload,
 * artifact verification and promotion, pack push) handles real, distinct bytes while the worker
 * spends almost no CPU. The load benchmark (bench/load.sh) turns it on with
 * {@code byoos.worker.synthetic-builder.enabled=true}; it is refused in the prod profile, so a
 * misconfigured production worker fails to start rather than publish packs of non-images.
 *
 * <p>The tar is deterministic: the same request yields the same bytes (fixed mtimes, owners,
 * order), and specs that differ yield different ones, so content-addressed storage keeps one
 * artifact per spec as it would for real images. It is staged under the target's format name so
 * the rest of the pipeline takes its usual path; the {@link #ID} in build.completed tells it apart.
 */
public final class SyntheticBuilder implements Builder {

    public static final String ID = "synthetic/benchmark-only";
    static final String PROD_PROFILE = "prod";
    static final String COORDINATES_FILE = "byoos-synthetic-build.txt";

    private static final int BLOCK = 512;
    private static final Duration SLEEP_SLICE = Duration.ofMillis(50);

    private final Duration buildTime;

    /**
     * @param buildTime how long each build pretends to work (sleeping, no CPU), so a benchmark can
     *                  saturate a worker at a known rate; zero for none
     */
    SyntheticBuilder(Duration buildTime) {
        this.buildTime = buildTime;
    }

    /** @throws IllegalStateException in the prod profile: this builder produces no real images */
    public static SyntheticBuilder forBenchmark(Duration buildTime) {
        return forBenchmark(buildTime, ConfigUtils.getProfiles());
    }

    static SyntheticBuilder forBenchmark(Duration buildTime, List<String> activeProfiles) {
        if (activeProfiles.contains(PROD_PROFILE)) {
            throw new IllegalStateException("byoos.worker.synthetic-builder.enabled is a benchmark aid that builds no real"
                    + " images; it is refused in the prod profile (bench/load.sh runs the worker with QUARKUS_PROFILE=bench)");
        }
        if (buildTime.isNegative()) {
            throw new IllegalArgumentException("byoos.worker.synthetic-builder.build-time must not be negative: " + buildTime);
        }
        return new SyntheticBuilder(buildTime);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public boolean supports(String cloud, String format) {
        return true;
    }

    @Override
    public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
        pretendToWork(cancellation);
        String format = request.build().target().format();
        Path image = workDir.resolve("synthetic." + format);
        try (OutputStream out = Files.newOutputStream(image)) {
            writeEntry(out, COORDINATES_FILE, "0644", coordinates(request.build()).getBytes(StandardCharsets.UTF_8));
            for (BuildRequested.FileCustomization file : request.files()) {
                writeEntry(out, file.path().substring(1), file.mode(), file.content().getBytes(StandardCharsets.UTF_8));
            }
            // End of archive: two zero blocks.
            out.write(new byte[2 * BLOCK]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        log.line("synthetic build (benchmark aid): tar of the build's coordinates and " + request.files().size()
                + " spec file(s), no disk image");
        return new BuiltImage(image, format, BootSmokeTest.skipped("synthetic build: there is no disk to boot"));
    }

    private void pretendToWork(BuildCancellation cancellation) {
        long until = System.nanoTime() + buildTime.toNanos();
        try {
            for (long left; (left = until - System.nanoTime()) > 0;) {
                cancellation.throwIfCancelled();
                Thread.sleep(Math.min(Duration.ofNanos(left).toMillis() + 1, SLEEP_SLICE.toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildCancelledException();
        }
        cancellation.throwIfCancelled();
    }

    /** Everything that makes the build distinct, one field a line; the build id is left out to keep it deterministic per spec. */
    private static String coordinates(BuildCoordinates build) {
        return "team=" + build.team() + "\nspec=" + build.specName() + "\nversion=" + build.specVersion()
                + "\ndigest=" + build.specDigest() + "\nos=" + build.os().name() + " " + build.os().version()
                + "\nkubernetes=" + build.kubernetesVersion() + "\ntarget=" + build.target().cloud() + "/"
                + build.target().format() + "\npack=" + build.pack().name() + ":" + build.pack().version() + "\n";
    }

    /** One regular file in POSIX ustar format, owned by root, mtime 0. */
    private static void writeEntry(OutputStream out, String path, String mode, byte[] content) throws IOException {
        byte[] header = new byte[BLOCK];
        String name = path;
        String prefix = "";
        if (name.length() > 100) {
            int split = path.lastIndexOf('/', 155);
            if (split < 0 || path.length() - split - 1 > 100) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "PATH_TOO_LONG",
                        "the synthetic builder's tar cannot hold the path /" + path, null);
            }
            prefix = path.substring(0, split);
            name = path.substring(split + 1);
        }
        put(header, 0, 100, name);
        put(header, 100, 8, octal(Integer.parseInt(mode, 8), 7));
        put(header, 108, 8, octal(0, 7));
        put(header, 116, 8, octal(0, 7));
        put(header, 124, 12, octal(content.length, 11));
        put(header, 136, 12, octal(0, 11));
        header[156] = '0';
        put(header, 257, 6, "ustar");
        put(header, 263, 2, "00");
        put(header, 265, 32, "root");
        put(header, 297, 32, "root");
        put(header, 345, 155, prefix);
        // The checksum is computed with its own field read as eight spaces.
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        long checksum = 0;
        for (byte b : header) {
            checksum += b & 0xff;
        }
        put(header, 148, 8, octal(checksum, 6) + "\0 ");
        out.write(header);
        out.write(content);
        int padding = (BLOCK - content.length % BLOCK) % BLOCK;
        out.write(new byte[padding]);
    }

    private static String octal(long value, int digits) {
        String text = Long.toOctalString(value);
        return "0".repeat(Math.max(0, digits - text.length())) + text;
    }

    private static void put(byte[] header, int offset, int length, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > length) {
            throw new IllegalArgumentException("tar header field of " + length + " bytes cannot hold '" + value + "'");
        }
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }
}
