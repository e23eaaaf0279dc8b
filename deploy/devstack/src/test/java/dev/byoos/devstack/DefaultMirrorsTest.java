package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultMirrorsTest {

    @TempDir
    Path dir;

    private Path osRelease(String id, String codename) throws IOException {
        return Files.writeString(dir.resolve("os-release"), "PRETTY_NAME=\"Some Linux\"\nID=" + id
                + "\nVERSION_CODENAME=" + codename + "\n");
    }

    @Test
    void theMachinesOwnReleaseArchiveBecomesTheDefaultMirrorOfItsDistribution() throws IOException {
        Path apt = Files.createDirectories(dir.resolve("apt/sources.list.d"));
        // Security and updates suites, and archives of other releases, are not the release's archive.
        Files.writeString(apt.resolve("debian.sources"), """
                Types: deb
                URIs: http://security.mirror.example/debian-security
                Suites: bookworm-security
                Components: main

                Types: deb
                # a comment
                URIs: http://mirror.example/debian/
                Suites: bookworm bookworm-updates
                Components: main
                """);
        Files.writeString(apt.resolve("other.list"), "deb [arch=amd64] http://other.example/debian trixie main\n");
        assertEquals(Map.of("BYOOS_SPEC_DEFAULT_MIRRORS_DEBIAN", "http://mirror.example/debian"),
                DefaultMirrors.environment(osRelease("debian", "bookworm"), dir.resolve("apt")));
        // One-line sources too, for the machine's own codename.
        Files.writeString(dir.resolve("apt/sources.list"), "# deb http://commented.example/ubuntu noble main\n"
                + "deb http://archive.mirror.example/ubuntu noble main universe\n");
        assertEquals(Map.of("BYOOS_SPEC_DEFAULT_MIRRORS_UBUNTU", "http://archive.mirror.example/ubuntu"),
                DefaultMirrors.environment(osRelease("ubuntu", "noble"), dir.resolve("apt")));
    }

    @Test
    void noDefaultMirrorWithoutAnArchiveOfTheMachinesReleaseOrOnAnotherDistribution() throws IOException {
        Path apt = Files.createDirectories(dir.resolve("apt"));
        Files.writeString(apt.resolve("sources.list"), "deb http://mirror.example/debian bookworm-updates main\n");
        assertEquals(Map.of(), DefaultMirrors.environment(osRelease("debian", "bookworm"), apt));
        Files.writeString(apt.resolve("sources.list"), "deb http://mirror.example/rocky bookworm main\n");
        assertEquals(Map.of(), DefaultMirrors.environment(osRelease("rocky", "bookworm"), apt));
        assertEquals(Map.of(), DefaultMirrors.environment(dir.resolve("missing"), apt));
    }
}
