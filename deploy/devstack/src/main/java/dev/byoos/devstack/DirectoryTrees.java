package dev.byoos.devstack;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Deleting a directory a stack wrote. Test-support has its own copy ({@code TestDirectories}): it
 * keeps devstack's classes off the test classpath on purpose.
 */
final class DirectoryTrees {

    private DirectoryTrees() {
    }

    /**
     * Removes {@code root} and everything under it; nothing when it is not there. Symbolic links met
     * in the walk are removed, not followed: a link in a data directory does not make this delete
     * outside it. (A tree that something still changes while it is deleted is not covered: a
     * directory swapped for a link between its listing and its opening would be followed. The
     * callers delete stopped stacks' directories.)
     */
    static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
