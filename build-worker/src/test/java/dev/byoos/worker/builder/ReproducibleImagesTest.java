package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Reproducible images: the same request built twice, in two scratch directories and many seconds
 * apart (every other format is built in between), from a base whose file times changed in between,
 * gives the same bytes in every format, and the same SBOM; another spec gets other ids. The base
 * carries a stand-in kernel, so the disk's ESP gets files too (the boot test is off: the kernel
 * does not boot).
 */
class ReproducibleImagesTest {

    /** Every format the native builder writes (OutputFormatsTest checks the list it refuses others with). */
    static final List<String> FORMATS = List.of("raw", "qcow2", "vhd", "ova", "gcp-tar", "tgz", "oci");
    static final String BASE = "kernel-test";
    static final String KERNEL_VERSION = "6.1.0-99-amd64";
    static final BuildRequested.FileCustomization NODE_CONF = OutputFormatsTest.NODE_CONF;

    @TempDir
    Path bases;

    private final BuildLog log = new BuildLog();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theSameRequestMakesTheSameBytesInEveryFormat(@TempDir Path first, @TempDir Path second, @TempDir Path other)
            throws IOException {
        Path base = standInKernelBase();
        Map<String, BuildRequested> requests = new LinkedHashMap<>();
        FORMATS.forEach(format -> requests.put(format, NativeBuilderTest.request(format, BASE, List.of(NODE_CONF))));

        Map<String, String> firstRound = buildAll(requests, first);
        // Times in the base are not an input (a directory base is hashed without them): they must not show.
        try (Stream<Path> entries = Files.walk(base)) {
            for (Path entry : entries.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(entry, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
            }
        }
        Map<String, String> secondRound = buildAll(requests, second);

        assertEquals(firstRound, secondRound);
        // The same ids every time, yet not constants: another spec's disk has ids of its own.
        var control = new BuildRequested.FileCustomization(NODE_CONF.path(), "role=control-plane\n", "0640",
                "4242:4343");
        Path otherWorkDir = Files.createDirectories(other.resolve("raw"));
        Builder.BuiltImage controlPlane = builder().build(NativeBuilderTest.request("raw", BASE, List.of(control)),
                otherWorkDir, log, new BuildCancellation());
        List<String> workerIds = ids(first.resolve("raw").resolve("disk.raw"), first);
        List<String> controlPlaneIds = ids(controlPlane.file(), otherWorkDir);
        for (int i = 0; i < workerIds.size(); i++) {
            assertNotEquals(workerIds.get(i), controlPlaneIds.get(i));
        }
    }

    /** The one time every file of the image has is the one the provenance and the SBOM record. */
    @Test
    void theImageHasOneTimeAndItsProvenanceAndSbomRecordIt(@TempDir Path workDir) throws IOException {
        standInKernelBase();
        Builder.BuiltImage image = builder().build(NativeBuilderTest.request("tgz", BASE, List.of(NODE_CONF)), workDir,
                log, new BuildCancellation());

        long epoch = Reproducibility.SOURCE_DATE_EPOCH.getEpochSecond();
        assertTrue(image.inputs().contains(new BuildCompleted.Input("source-date-epoch:" + epoch,
                Sha256.of(String.valueOf(epoch)), null)), image.inputs().toString());
        JsonNode sbom = json.readTree(image.sbom().toFile());
        assertEquals(Reproducibility.SOURCE_DATE_EPOCH.toString(), sbom.at("/metadata/timestamp").asText());
        List<String> listing = run(workDir, "tar", "--numeric-owner", "--full-time", "--utc", "-tvzf",
                image.file().toString()).lines().toList();
        assertTrue(listing.size() > 100, "the busybox tree: " + listing.size() + " entries");
        assertTrue(listing.stream().allMatch(line -> line.contains(" 1980-01-01 00:00:00 ")),
                String.join("\n", listing));
    }

    /** The disk's GPT GUID, both partitions' GUIDs and the root filesystem's UUID. */
    private List<String> ids(Path disk, Path workDir) {
        String table = run(workDir, "sfdisk", "--dump", disk.toString());
        List<String> ids = new ArrayList<>(table.lines()
                .filter(line -> line.startsWith("label-id:") || line.contains("uuid="))
                .map(line -> line.replaceAll(".*(label-id: |uuid=)([0-9A-Fa-f-]{36}).*", "$2")).toList());
        assertEquals(3, ids.size(), table);
        long rootOffset = Long.parseLong(table.lines().filter(line -> line.contains("name=\"root\"")).findFirst()
                .orElseThrow().replaceAll(".*start=\\s*(\\d+),.*", "$1")) * 512;
        ids.add(run(workDir, "dumpe2fs", "-h", disk + "?offset=" + rootOffset).lines()
                .filter(line -> line.startsWith("Filesystem UUID:")).findFirst().orElseThrow());
        return ids;
    }

    /** Builds each request into a directory of its own; the sha256 of every image and SBOM by format. */
    private Map<String, String> buildAll(Map<String, BuildRequested> requests, Path scratch) throws IOException {
        Map<String, String> digests = new LinkedHashMap<>();
        for (var request : requests.entrySet()) {
            Path workDir = Files.createDirectories(scratch.resolve(request.getKey()));
            Builder.BuiltImage image = builder().build(request.getValue(), workDir, log, new BuildCancellation());
            digests.put(request.getKey(), Sha256.of(image.file()));
            digests.put(request.getKey() + " sbom", Sha256.of(image.sbom()));
        }
        return digests;
    }

    private NativeBuilder builder() {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)
                .withBootTest(new BootSmokeTest(new BootSmokeTest.Settings(false, Duration.ofSeconds(1)))));
    }

    /** The busybox base with a kernel, an initrd and systemd-boot that are only bytes: the ESP gets them. */
    private Path standInKernelBase() {
        Path busybox = TestBases.busyboxBase(bases);
        Path base = bases.resolve(BASE);
        run(bases, "cp", "-a", "--", busybox.toString(), base.toString());
        try {
            Path boot = Files.createDirectories(base.resolve("boot"));
            Files.writeString(boot.resolve("vmlinuz-" + KERNEL_VERSION), "stand-in kernel\n");
            Files.writeString(boot.resolve("initrd.img-" + KERNEL_VERSION), "stand-in initrd\n");
            Path loader = base.resolve("usr/lib/systemd/boot/efi/systemd-bootx64.efi");
            Files.createDirectories(loader.getParent());
            Files.writeString(loader, "stand-in systemd-boot\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return base;
    }

    private String run(Path workDir, String... command) {
        return new CommandRunner(log, new BuildCancellation()).run(Duration.ofMinutes(2), workDir, null, command);
    }
}
