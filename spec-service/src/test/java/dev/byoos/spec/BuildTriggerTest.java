package dev.byoos.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.BuildRequested;

class BuildTriggerTest {

    @Test
    void everyTriggerIsOneTheContractCarriesAndNoneIsMissing() {
        assertEquals(BuildRequested.TRIGGERS, Arrays.stream(BuildTrigger.values()).map(BuildTrigger::wire).toList());
        assertEquals("base-updated", BuildTrigger.BASE_UPDATED.wire());
    }
}
