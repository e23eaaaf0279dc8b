package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * MAAS's {@code root-tgz}: the root filesystem tree itself, no disk. Paths are relative to / and
 * owners stay numeric, because the image's uids mean nothing on the worker's own account database.
 * Entries are in name order, every one dated with the source date, and gzip records no time: the
 * same tree makes the same archive.
 */
final class RootTarballFormat implements ImageFormat {

    static final String FILE_NAME = "root.tgz";

    @Override
    public String name() {
        return "tgz";
    }

    @Override
    public Path write(FormatContext context) {
        Path output = context.workDir().resolve(FILE_NAME);
        context.run(FormatContext.WRITE_TIMEOUT, "tar", "--format=gnu", "--sort=name",
                "--mtime=@" + context.reproducibility().epochSeconds(), "--numeric-owner",
                "--use-compress-program=gzip -n", "-cf", output.toString(), "-C", context.tree().toString(), ".");
        return output;
    }

    /** Reading the whole archive back checks the gzip stream; every entry of the tree must be in it. */
    @Override
    public void verify(Path output, FormatContext context) {
        String listing = context.run(FormatContext.CHECK_TIMEOUT, "tar", "-tzf", output.toString());
        long archived = listing.lines().count();
        long inTree = entries(context.tree());
        if (archived != inTree) {
            throw FormatContext.checkFailed(name(), "the archive holds " + archived + " entries, the tree "
                    + inTree);
        }
    }

    /** Directories, files, links and device nodes of the tree, the tree itself included (tar's "./"). */
    private static long entries(Path tree) {
        long[] count = {0};
        try {
            Files.walkFileTree(tree, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    count[0]++;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    count[0]++;
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count[0];
    }
}
