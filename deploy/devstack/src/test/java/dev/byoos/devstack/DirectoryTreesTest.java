package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryTreesTest {

    @TempDir
    Path dir;

    @Test
    void removesTheWholeTree() throws IOException {
        Path root = dir.resolve("data");
        Files.createDirectories(root.resolve("kafka/logs/meta"));
        Files.writeString(root.resolve("kafka/logs/meta/properties"), "x");
        Files.writeString(root.resolve("stack.lock"), "");

        DirectoryTrees.delete(root);

        assertFalse(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
    }

    /** A data directory is writable by what runs in it: its links must not reach what it points at. */
    @Test
    void removesLinksWithoutFollowingThem() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "not the stack's");
        Path root = Files.createDirectories(dir.resolve("data"));
        Files.createSymbolicLink(root.resolve("to-dir"), outside);
        Files.createSymbolicLink(root.resolve("to-file"), kept);

        DirectoryTrees.delete(root);

        assertFalse(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
        assertEquals("not the stack's", Files.readString(kept));
        assertTrue(Files.isDirectory(outside));
    }

    @Test
    void aMissingDirectoryIsNothingToDo() throws IOException {
        DirectoryTrees.delete(dir.resolve("never-made"));

        assertTrue(Files.isDirectory(dir));
    }
}
