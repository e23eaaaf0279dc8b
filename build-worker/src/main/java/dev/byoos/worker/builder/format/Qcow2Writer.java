package dev.byoos.worker.builder.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;

import dev.byoos.worker.builder.core.ReadDigest;

/**
 * Writes a raw disk as a qcow2 (version 3) image with zstd-compressed clusters: the format {@code
 * qemu-img convert -c -o compression_type=zstd} writes (not its bytes: the layout and the zstd level
 * differ), compressed on several threads. qemu-img compresses one cluster after another when it
 * writes them in order, and its out-of-order mode ({@code -W}) writes them in a different order each
 * run; here the clusters are compressed side by side and written in the disk's order, so the same
 * disk gives the same bytes whatever the number of threads.
 *
 * <p>The file holds, in order: the header; the refcount table; the L1 table; the data clusters in the
 * disk's order (compressed ones packed one after another, as qcow2 allows; one that zstd cannot make
 * smaller than a cluster stored whole at a cluster boundary; all-zero ones not stored at all, since
 * an unallocated cluster of an image without a backing file reads as zeros); then the L2 tables
 * and the refcount blocks, whose sizes are known only once the data is written. Field by field, the
 * layout is QEMU's qcow2 specification (docs/interop/qcow2.txt); {@code qemu-img check} verifies
 * every image written.
 */
final class Qcow2Writer {

    static final int CLUSTER_BITS = 16;
    static final int CLUSTER_SIZE = 1 << CLUSTER_BITS;
    private static final int L2_ENTRIES = CLUSTER_SIZE / Long.BYTES;
    /** 16-bit refcounts (qemu's default): a refcount block counts 32768 clusters. */
    private static final int REFCOUNT_ORDER = 4;
    private static final int REFCOUNTS_PER_BLOCK = CLUSTER_SIZE * 8 / (1 << REFCOUNT_ORDER);
    private static final int MAX_REFCOUNT = 0xFFFF;
    /** QEMU opens no image whose L1 table is larger than 32 MiB (4 Mi entries, 2 PiB of disk). */
    private static final long MAX_L1_ENTRIES = 32L * 1024 * 1024 / Long.BYTES;
    /** One refcount table cluster: 8192 blocks of 32768 clusters, 16 TiB of file. */
    private static final int MAX_REFCOUNT_BLOCKS = CLUSTER_SIZE / Long.BYTES;
    /** Version 3's 104 bytes plus the compression type, padded to a multiple of 8. */
    private static final int HEADER_LENGTH = 112;
    private static final int MAGIC = 0x514649fb;
    private static final long INCOMPATIBLE_COMPRESSION_TYPE = 1L << 3;
    private static final byte COMPRESSION_TYPE_ZSTD = 1;
    /** An L1 or L2 entry whose cluster has a refcount of exactly one. */
    private static final long COPIED = 1L << 63;
    private static final long COMPRESSED = 1L << 62;
    /** Where a compressed cluster's descriptor keeps its count of additional 512-byte sectors. */
    private static final int SECTOR_COUNT_SHIFT = 62 - (CLUSTER_BITS - 8);
    private static final int SECTOR = 512;
    /**
     * zstd's fastest regular level rather than qemu-img's (its default, 3): on the example's Debian
     * disk it writes a file 1.7 % larger for 28 % less CPU (docs/benchmarks.md, round 11).
     */
    private static final int ZSTD_LEVEL = 1;
    /** One task's share of the disk: 1 MiB. */
    private static final int CLUSTERS_PER_BATCH = 16;
    private static final byte[] ZERO_CLUSTER = new byte[CLUSTER_SIZE];

    /** What was written, for the build log. */
    record Written(long clusters, long compressed, long storedWhole, long zero, int threads, long bytes) {
    }

    private Qcow2Writer() {
    }

    /**
     * @param checkCancelled called before each MiB is read; throws to stop the write
     * @param readDigest     when not null, takes every byte of the disk as it is read, once and in
     *                       order, before the clusters made of them are compressed: the image is
     *                       then made of exactly the bytes hashed
     * @throws IOException reading the disk or writing the image failed
     */
    static Written write(Path raw, Path output, int threads, Runnable checkCancelled, ReadDigest readDigest)
            throws IOException {
        long virtualSize = Files.size(raw);
        if (virtualSize % SECTOR != 0) {
            // QEMU reads a qcow2's size in whole sectors and would drop the rest of the disk.
            throw new IOException("a disk of " + virtualSize + " bytes is not whole 512-byte sectors");
        }
        long clusters = ceilDiv(virtualSize, CLUSTER_SIZE);
        long l1Entries = ceilDiv(clusters, L2_ENTRIES);
        if (l1Entries > MAX_L1_ENTRIES) {
            throw new IOException("a disk of " + virtualSize + " bytes needs an L1 table larger than QEMU opens");
        }
        int l1Clusters = (int) Math.max(1, ceilDiv(l1Entries * Long.BYTES, CLUSTER_SIZE));
        Layout layout = new Layout((int) l1Entries, l1Clusters);

        ExecutorService compressors = Executors.newFixedThreadPool(threads, daemonThreads());
        BlockingQueue<ZstdCompressCtx> contexts = new ArrayBlockingQueue<>(threads);
        List<ZstdCompressCtx> opened = new ArrayList<>();
        try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                FileChannel out = FileChannel.open(output, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < threads; i++) {
                ZstdCompressCtx context = new ZstdCompressCtx().setLevel(ZSTD_LEVEL).setChecksum(false)
                        .setContentSize(true);
                opened.add(context);
                contexts.add(context);
            }
            // Read ahead by two batches per thread: enough to keep every thread busy, 4 MiB on 2 cores.
            ArrayDeque<Future<byte[][]>> compressing = new ArrayDeque<>();
            long nextToRead = 0;
            long nextToWrite = 0;
            while (nextToWrite < clusters) {
                while (nextToRead < clusters && compressing.size() < 2 * threads) {
                    checkCancelled.run();
                    int count = (int) Math.min(CLUSTERS_PER_BATCH, clusters - nextToRead);
                    byte[] batch = new byte[count * CLUSTER_SIZE];
                    long position = nextToRead * CLUSTER_SIZE;
                    // Up to the size taken at the start, never past it: a partial last cluster's rest
                    // stays zeros, whatever the file holds by then.
                    int length = (int) Math.min(batch.length, virtualSize - position);
                    readFully(in, batch, length, position);
                    if (readDigest != null) {
                        readDigest.update(batch, 0, length);
                    }
                    compressing.add(compressors.submit(() -> compress(batch, count, contexts)));
                    nextToRead += count;
                }
                for (byte[] payload : await(compressing.poll())) {
                    layout.append(nextToWrite++, payload, out);
                }
            }
            layout.writeMetadata(virtualSize, out);
            return new Written(clusters, layout.compressed, layout.storedWhole, layout.zero, threads, out.size());
        } finally {
            compressors.shutdownNow();
            try {
                // A context is native memory and a task may still hold one: close them once no task runs
                // (a task compresses 1 MiB; one that has not ended in a minute keeps its context).
                if (compressors.awaitTermination(1, TimeUnit.MINUTES)) {
                    opened.forEach(ZstdCompressCtx::close);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return per cluster: null (all zeros), fewer than a cluster's bytes (zstd frame), or the cluster itself */
    private static byte[][] compress(byte[] batch, int count, BlockingQueue<ZstdCompressCtx> contexts)
            throws InterruptedException {
        ZstdCompressCtx context = contexts.take();
        try {
            byte[][] payloads = new byte[count][];
            byte[] frame = new byte[(int) Zstd.compressBound(CLUSTER_SIZE)];
            for (int i = 0; i < count; i++) {
                int offset = i * CLUSTER_SIZE;
                if (Arrays.equals(batch, offset, offset + CLUSTER_SIZE, ZERO_CLUSTER, 0, CLUSTER_SIZE)) {
                    continue;
                }
                int length = context.compressByteArray(frame, 0, frame.length, batch, offset, CLUSTER_SIZE);
                payloads[i] = length < CLUSTER_SIZE ? Arrays.copyOf(frame, length)
                        : Arrays.copyOfRange(batch, offset, offset + CLUSTER_SIZE);
            }
            return payloads;
        } finally {
            contexts.add(context);
        }
    }

    /** Where every cluster of the file is, and how many references each host cluster has. */
    private static final class Layout {
        private static final long HEADER_CLUSTER = 0;
        private static final long REFCOUNT_TABLE_CLUSTER = 1;
        private static final long L1_CLUSTER = 2;

        private final long[][] l2Tables;
        private final int l1Clusters;
        private int[] references = new int[1024];
        /** The next free byte of the file: compressed clusters are packed, byte after byte. */
        private long end;
        long compressed;
        long storedWhole;
        long zero;

        Layout(int l1Entries, int l1Clusters) {
            this.l2Tables = new long[l1Entries][];
            this.l1Clusters = l1Clusters;
            for (long cluster = 0; cluster < L1_CLUSTER + l1Clusters; cluster++) {
                reference(cluster);
            }
            end = (L1_CLUSTER + l1Clusters) * CLUSTER_SIZE;
        }

        void append(long guestCluster, byte[] payload, FileChannel out) throws IOException {
            if (payload == null) {
                zero++;
                return;
            }
            long entry;
            if (payload.length < CLUSTER_SIZE) {
                long offset = end;
                long additionalSectors = (offset + payload.length - 1) / SECTOR - offset / SECTOR;
                entry = COMPRESSED | additionalSectors << SECTOR_COUNT_SHIFT | offset;
                // qemu counts a reference on every cluster the descriptor's sectors touch.
                long firstSector = offset / SECTOR * SECTOR;
                long lastByte = firstSector + (additionalSectors + 1) * SECTOR - 1;
                for (long cluster = firstSector / CLUSTER_SIZE; cluster <= lastByte / CLUSTER_SIZE; cluster++) {
                    reference(cluster);
                }
                compressed++;
                writeFully(out, ByteBuffer.wrap(payload), offset);
                end = offset + payload.length;
            } else {
                long offset = ceilDiv(end, CLUSTER_SIZE) * CLUSTER_SIZE;
                entry = COPIED | offset;
                reference(offset / CLUSTER_SIZE);
                storedWhole++;
                writeFully(out, ByteBuffer.wrap(payload), offset);
                end = offset + CLUSTER_SIZE;
            }
            int table = (int) (guestCluster / L2_ENTRIES);
            if (l2Tables[table] == null) {
                l2Tables[table] = new long[L2_ENTRIES];
            }
            l2Tables[table][(int) (guestCluster % L2_ENTRIES)] = entry;
        }

        void writeMetadata(long virtualSize, FileChannel out) throws IOException {
            long cluster = ceilDiv(end, CLUSTER_SIZE);
            long[] l1 = new long[l2Tables.length];
            for (int table = 0; table < l2Tables.length; table++) {
                if (l2Tables[table] != null) {
                    l1[table] = COPIED | cluster * CLUSTER_SIZE;
                    reference(cluster);
                    writeFully(out, bigEndian(l2Tables[table], CLUSTER_SIZE), cluster * CLUSTER_SIZE);
                    cluster++;
                }
            }
            // The refcount blocks count themselves too.
            long firstBlock = cluster;
            int blocks = 0;
            while (ceilDiv(firstBlock + blocks, REFCOUNTS_PER_BLOCK) > blocks) {
                blocks++;
            }
            if (blocks > MAX_REFCOUNT_BLOCKS) {
                throw new IOException("the qcow2 image would need more than " + MAX_REFCOUNT_BLOCKS
                        + " refcount blocks (a file over 16 TiB)");
            }
            long[] refcountTable = new long[blocks];
            for (int block = 0; block < blocks; block++) {
                reference(firstBlock + block);
                refcountTable[block] = (firstBlock + block) * CLUSTER_SIZE;
            }
            for (int block = 0; block < blocks; block++) {
                ByteBuffer counts = ByteBuffer.allocate(CLUSTER_SIZE);
                for (int i = 0; i < REFCOUNTS_PER_BLOCK; i++) {
                    long counted = (long) block * REFCOUNTS_PER_BLOCK + i;
                    int references = counted < this.references.length ? this.references[(int) counted] : 0;
                    if (references > MAX_REFCOUNT) {
                        throw new IOException("cluster " + counted + " has " + references
                                + " references, more than a 16-bit refcount holds");
                    }
                    counts.putShort((short) references);
                }
                writeFully(out, counts.flip(), refcountTable[block]);
            }
            writeFully(out, bigEndian(refcountTable, CLUSTER_SIZE), REFCOUNT_TABLE_CLUSTER * CLUSTER_SIZE);
            writeFully(out, bigEndian(l1, l1Clusters * CLUSTER_SIZE), L1_CLUSTER * CLUSTER_SIZE);
            writeFully(out, header(virtualSize, l1.length), HEADER_CLUSTER * CLUSTER_SIZE);
        }

        private ByteBuffer header(long virtualSize, int l1Entries) {
            ByteBuffer header = ByteBuffer.allocate(CLUSTER_SIZE)
                    .putInt(MAGIC)
                    .putInt(3)
                    .putLong(0) // no backing file
                    .putInt(0)
                    .putInt(CLUSTER_BITS)
                    .putLong(virtualSize)
                    .putInt(0) // not encrypted
                    .putInt(l1Entries)
                    .putLong(L1_CLUSTER * CLUSTER_SIZE)
                    .putLong(REFCOUNT_TABLE_CLUSTER * CLUSTER_SIZE)
                    .putInt(1) // refcount table clusters
                    .putInt(0) // no snapshots
                    .putLong(0)
                    .putLong(INCOMPATIBLE_COMPRESSION_TYPE)
                    .putLong(0) // compatible features: none (no lazy refcounts)
                    .putLong(0) // autoclear features: none
                    .putInt(REFCOUNT_ORDER)
                    .putInt(HEADER_LENGTH)
                    .put(COMPRESSION_TYPE_ZSTD);
            // The rest of the cluster stays zero: padding, then an empty list of header extensions.
            return header.position(0);
        }

        private void reference(long cluster) {
            if (cluster >= references.length) {
                references = Arrays.copyOf(references, (int) Math.max(cluster + 1, references.length * 2L));
            }
            references[(int) cluster]++;
        }
    }

    private static ByteBuffer bigEndian(long[] entries, int size) {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (long entry : entries) {
            buffer.putLong(entry);
        }
        return buffer.position(0);
    }

    /** Reads exactly {@code length} bytes: a disk that ends sooner (cut short while read) is an error. */
    private static void readFully(FileChannel in, byte[] into, int length, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException("the disk ended while it was read, at byte " + (position + buffer.position()));
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes, long position) throws IOException {
        while (bytes.hasRemaining()) {
            position += out.write(bytes, position);
        }
    }

    private static byte[][] await(Future<byte[][]> batch) throws IOException {
        try {
            return batch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing the qcow2 image's clusters");
        } catch (ExecutionException e) {
            throw new IOException("compressing the qcow2 image's clusters failed", e.getCause());
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger number = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "qcow2-zstd-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static long ceilDiv(long dividend, long divisor) {
        return (dividend + divisor - 1) / divisor;
    }
}
