package dev.byoos.worker.builder.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.worker.builder.core.BuildException;

class RootFilesystemTest {

    /** Every call here returns at once; one that opened a FIFO would block for good. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);

    @TempDir
    Path tree;

    private RootFilesystem rootfs() {
        return RootFilesystem.existing(tree, "test", List.of());
    }

    @Test
    void writingReplacesAFifoWithoutOpeningIt() throws Exception {
        Path fifo = mkfifo("etc/sysctl.d/90-byoos.conf");

        assertTimeoutPreemptively(HANG_GUARD, () -> rootfs().write("/etc/sysctl.d/90-byoos.conf", "vm.x = 1\n", "0644", 0, 0));

        assertTrue(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS));
        assertEquals("vm.x = 1\n", Files.readString(fifo));
    }

    @Test
    void appendingToAFifoIsRefusedWithoutOpeningIt() throws Exception {
        mkfifo("etc/passwd");

        BuildException refused = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(BuildException.class, () -> rootfs().append("/etc/passwd", "alice:x:1000:1000::/:/bin/sh\n")));

        assertEquals("SPECIAL_FILE", refused.code());
        assertEquals(BuildException.Kind.BAD_INPUT, refused.kind());
    }

    @Test
    void replacingAndAppendingKeepTheFilesOwnerAndMode() throws IOException {
        Path shadow = Files.writeString(Files.createDirectories(tree.resolve("etc")).resolve("shadow"), "root:*:::::::\n");
        Files.setAttribute(shadow, "unix:gid", 42);
        Files.setPosixFilePermissions(shadow, PosixFilePermissions.fromString("rw-r-----"));

        rootfs().append("/etc/shadow", "alice:!:::::::\n");
        assertEquals("root:*:::::::\nalice:!:::::::\n", Files.readString(shadow));
        rootfs().replace("/etc/shadow", "root:*:::::::\n");

        assertEquals("root:*:::::::\n", Files.readString(shadow));
        assertEquals(42, Files.getAttribute(shadow, "unix:gid"));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(shadow)));
    }

    @Test
    void aFileHardLinkedFromElsewhereKeepsItsContentUnderItsOtherName() throws IOException {
        // Cached trees are handed out as hard links: writing through one name must not change the cache.
        Path cached = Files.writeString(tree.resolve("cached-motd"), "from the cache\n");
        Path motd = Files.createLink(Files.createDirectories(tree.resolve("etc")).resolve("motd"), cached);

        rootfs().write("/etc/motd", "this build's\n", "0644", 0, 0);
        rootfs().append("/etc/motd", "and more\n");

        assertEquals("this build's\nand more\n", Files.readString(motd));
        assertEquals("from the cache\n", Files.readString(cached));
    }

    @Test
    void noTemporaryFileIsLeftBeside() throws IOException {
        rootfs().write("/etc/hostname", "node\n", "0644", 0, 0);
        rootfs().append("/etc/hostname", "again\n");

        try (var names = Files.list(tree.resolve("etc"))) {
            assertEquals(List.of("hostname"), names.map(path -> path.getFileName().toString()).toList());
        }
    }

    private Path mkfifo(String relative) throws IOException, InterruptedException {
        Path fifo = tree.resolve(relative);
        Files.createDirectories(fifo.getParent());
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        return fifo;
    }
}
