package dev.byoos.worker.builder.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.byoos.worker.builder.core.BuildException;

/** Which inodes get the source date: read from dumpe2fs's output as e2fsprogs 1.47 prints it. */
class InodeTimesTest {

    /** Three groups of 8 inodes: the first full, the second with ranges and single inodes free, the third empty. */
    static final String DUMPE2FS = """
            Filesystem volume name:   root
            Inode count:              24
            Free inodes:              13
            Inodes per group:         8
            First inode:              11

            Group 0: (Blocks 1-8192) csum 0xf66c [ITABLE_ZEROED]
              Primary superblock at 1, Group descriptors at 2-3
              0 free blocks, 0 free inodes, 2 directories
              Free blocks:\s
              Free inodes:\s
            Group 1: (Blocks 8193-16384) csum 0x5da3 [ITABLE_ZEROED]
              3 free blocks, 5 free inodes, 0 directories
              Free blocks: 16382-16384
              Free inodes: 10, 12-14, 16
            Group 2: (Blocks 16385-24576) csum 0x8dd4 [INODE_UNINIT, ITABLE_ZEROED]
              8192 free blocks, 8 free inodes, 0 directories
              Free blocks: 16385-24576
              Free inodes: 17-24
            """;

    @Test
    void theRootAndEveryOrdinaryInodeInUseButNoFreeOrReservedOne() {
        assertEquals(List.of(2, 11, 15), InodeTimes.usedInodes(DUMPE2FS));
    }

    @Test
    void outputWithoutFreeInodeRangesIsRefusedRatherThanTakenAsAFullFilesystem() {
        BuildException failure = assertThrows(BuildException.class,
                () -> InodeTimes.usedInodes("Inode count:              24\n"));

        assertEquals("UNEXPECTED_TOOL_OUTPUT", failure.code());
        assertEquals(BuildException.Kind.BUILDER, failure.kind());
    }
}
