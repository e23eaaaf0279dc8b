package dev.byoos.worker.builder.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.ImageInspector;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.NativeBuilderTest;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * The SBOM of a built image lists what is in it: checked against the image itself (read back with
 * debugfs) and against the host's dpkg-query, neither of which the builder uses.
 */
class RootFilesystemSbomTest {

    @TempDir
    static Path bases;
    @TempDir
    Path workDir;

    @BeforeAll
    static void makeBases() {
        TestBases.dpkgBase(bases);
    }

    @Test
    void listsTheDpkgPackagesOfTheBaseAndTheFilesTheSpecAddedWithTheirHashes() throws IOException {
        var files = List.of(new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"));
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)).build(NativeBuilderTest.request("raw", TestBases.DPKG, files),
                workDir, new BuildLog(), new BuildCancellation());

        JsonNode bom = new ObjectMapper().readTree(image.sbom().toFile());
        assertEquals("CycloneDX", bom.get("bomFormat").asText());
        assertEquals("1.5", bom.get("specVersion").asText());
        assertEquals("operating-system", bom.at("/metadata/component/type").asText());

        String busyboxVersion = TestBases.hostPackageVersion("busybox-static");
        JsonNode busybox = component(bom, "busybox-static");
        assertEquals(busyboxVersion, busybox.get("version").asText());
        assertTrue(busybox.get("purl").asText().startsWith("pkg:deb/debian/busybox-static@"),
                busybox.get("purl").asText());
        assertTrue(busybox.get("purl").asText().endsWith("?arch=amd64&distro=debian-12"), busybox.get("purl").asText());
        assertEquals(TestBases.hostInstalledPackageCount(), countOfType(bom, "library"), "every installed package of the dpkg database");

        JsonNode nodeConf = component(bom, "/etc/byoos/node.conf");
        assertEquals("file", nodeConf.get("type").asText());
        ImageInspector inside = ImageInspector.open(image, workDir);
        assertEquals(Sha256.of(inside.cat("/etc/byoos/node.conf")), nodeConf.at("/hashes/0/content").asText(),
                "the hash of the file as the image holds it");
        assertEquals("SHA-256", nodeConf.at("/hashes/0/alg").asText());
    }

    @Test
    void anImageWithoutAPackageDatabaseListsOnlyItsFiles() throws IOException {
        var files = List.of(new BuildRequested.FileCustomization("/etc/motd", "hello\n", "0644"));
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)).build(
                NativeBuilderTest.request("tgz", TestBases.BUSYBOX, files), workDir, new BuildLog(), new BuildCancellation());

        JsonNode bom = new ObjectMapper().readTree(image.sbom().toFile());
        assertEquals(0, countOfType(bom, "library"));
        assertEquals(Sha256.of("hello\n"), component(bom, "/etc/motd").at("/hashes/0/content").asText());
    }

    private static JsonNode component(JsonNode bom, String name) {
        for (JsonNode component : bom.get("components")) {
            if (name.equals(component.get("name").asText())) {
                return component;
            }
        }
        throw new AssertionError("the SBOM has no component " + name + ": " + bom.toPrettyString());
    }

    private static long countOfType(JsonNode bom, String type) {
        long count = 0;
        for (JsonNode component : bom.get("components")) {
            if (type.equals(component.get("type").asText())) {
                count++;
            }
        }
        return count;
    }
}
