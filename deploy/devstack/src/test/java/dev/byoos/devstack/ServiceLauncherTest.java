package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceLauncherTest {

    @TempDir
    Path dataDir;
    @TempDir
    Path otherDataDir;

    @Test
    void theNotificationSecretKeyIsRandomPerStackOwnerReadableAndKeptAcrossRestarts() throws Exception {
        String key = ServiceLauncher.notificationSecretKey(dataDir);

        assertEquals(32, Base64.getDecoder().decode(key).length);
        assertEquals(key, ServiceLauncher.notificationSecretKey(dataDir), "the database's secrets still decrypt");
        assertNotEquals(key, ServiceLauncher.notificationSecretKey(otherDataDir));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dataDir.resolve("notifications/secret-key"))));
    }

    @Test
    void theServicesThatHashWholeImagesRunWithEveryJitTierTheOthersStartQuickly() {
        // C1 has no SHA-256 intrinsic: a worker or artifact-service limited to it hashes images ~8x slower.
        for (ServiceLauncher.Service hashing : List.of(ServiceLauncher.Service.BUILD_WORKER,
                ServiceLauncher.Service.ARTIFACT_SERVICE)) {
            List<String> options = ServiceLauncher.defaultJvmOptions(hashing);
            assertTrue(options.stream().noneMatch(option -> option.startsWith("-XX:TieredStopAtLevel")), options.toString());
            assertTrue(options.contains("-Xmx384m"), options.toString());
        }
        for (ServiceLauncher.Service quick : List.of(ServiceLauncher.Service.SPEC_SERVICE,
                ServiceLauncher.Service.PACK_PUBLISHER)) {
            assertTrue(ServiceLauncher.defaultJvmOptions(quick).contains("-XX:TieredStopAtLevel=1"));
        }
    }
}
