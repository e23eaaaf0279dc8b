package dev.byoos.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AptSourcesTest {

    @TempDir
    Path apt;

    @Test
    void theTokenStandsForEveryHostTheOneLineAndDeb822SourcesNameOthersStayAsListed() throws IOException {
        Files.writeString(apt.resolve("sources.list"), """
                # deb http://commented.example/debian bookworm main
                deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror-a.example/debian bookworm main
                deb-src https://Mirror-B.example:8443/debian bookworm main
                """);
        Path parts = Files.createDirectories(apt.resolve("sources.list.d"));
        Files.writeString(parts.resolve("debian.sources"), """
                Types: deb
                URIs: http://mirror-c.example/debian http://mirror-d.example/debian-security
                Suites: bookworm
                """);
        Files.writeString(parts.resolve("local.list"), "deb file:/srv/repo ./\n");
        Files.writeString(parts.resolve("ignored.save"), "deb http://not-read.example/debian bookworm main\n");

        assertEquals(List.of("internal.example", "mirror-a.example", "mirror-b.example", "mirror-c.example",
                "mirror-d.example", "127.0.0.1"),
                AptSources.expand(List.of("internal.example", AptSources.TOKEN, "127.0.0.1"), apt));
    }

    @Test
    void aMachineWithoutAptSourcesAllowsOnlyTheListedHosts() {
        assertEquals(List.of("internal.example"),
                AptSources.expand(List.of(AptSources.TOKEN, "internal.example"), apt.resolve("missing")));
    }

    @Test
    void aSwitchedOffDeb822SourceNamesNoHostAndNoArchive() throws IOException {
        Path parts = Files.createDirectories(apt.resolve("sources.list.d"));
        Files.writeString(parts.resolve("debian.sources"), """
                Types: deb
                URIs: http://off.example/debian
                Suites: bookworm
                Enabled: no

                Types: deb
                URIs: http://off-too.example/debian
                Suites: bookworm
                Enabled: False

                Types: deb
                URIs: http://on.example/debian/
                Suites: bookworm
                Enabled: yes
                """);

        assertEquals(List.of("on.example"), AptSources.expand(List.of(AptSources.TOKEN), apt));
        assertEquals(java.util.Optional.of("http://on.example/debian"), AptSources.archive(apt, "bookworm"));
    }

    @Test
    void theTokenLeavesOutSourcesOnThisMachineOrItsMetadataAddressButKeepsInternalMirrors() throws IOException {
        Files.writeString(apt.resolve("sources.list"), """
                deb http://127.0.0.1:3142/debian bookworm main
                deb http://localhost:3142/debian bookworm main
                deb	http://[::1]:3142/debian bookworm main
                deb http://169.254.169.254/debian bookworm main
                deb http://0.0.0.0/debian bookworm main
                deb http://10.0.0.5/debian bookworm main
                deb http://mirror.corp.example/debian bookworm main
                """);

        assertEquals(List.of("10.0.0.5", "mirror.corp.example", "127.0.0.1"),
                AptSources.expand(List.of(AptSources.TOKEN, "127.0.0.1"), apt), "listed by name, it stays");
    }

    @Test
    void deb822ValuesContinueOnIndentedLinesAndCommentsInAStanzaEndNothing() throws IOException {
        Path parts = Files.createDirectories(apt.resolve("sources.list.d"));
        Files.writeString(parts.resolve("debian.sources"), """
                Types: deb
                URIs:
                 http://first.example/debian
                # a comment inside the stanza
                	http://second.example/debian
                Suites: bookworm
                  bookworm-updates
                Components: main
                """);

        assertEquals(List.of("first.example", "second.example"), AptSources.expand(List.of(AptSources.TOKEN), apt));
        assertEquals(java.util.Optional.of("http://first.example/debian"), AptSources.archive(apt, "bookworm-updates"));
    }

    @Test
    void anArchiveOfSourcePackagesOnlyIsNoArchiveToBootstrapFromButItsHostIsTheMachines() throws IOException {
        Files.writeString(apt.resolve("sources.list"), """
                deb-src http://sources-only.example/debian bookworm main
                deb http://binaries.example/debian bookworm main
                """);
        Path parts = Files.createDirectories(apt.resolve("sources.list.d"));
        Files.writeString(parts.resolve("src.sources"), """
                Types: deb-src
                URIs: http://deb822-sources-only.example/debian
                Suites: trixie
                """);

        assertEquals(java.util.Optional.of("http://binaries.example/debian"), AptSources.archive(apt, "bookworm"));
        assertEquals(java.util.Optional.empty(), AptSources.archive(apt, "trixie"));
        assertEquals(List.of("sources-only.example", "binaries.example", "deb822-sources-only.example"),
                AptSources.expand(List.of(AptSources.TOKEN), apt));
    }
}
