package dev.byoos.devstack;

import dev.byoos.contract.TopicAccess;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/** The broker ACLs that give each principal exactly its {@link TopicAccess}. */
final class KafkaAcls {

    private KafkaAcls() {
    }

    /**
     * READ on each consumed topic and on the principal's consumer groups (by prefix), WRITE on
     * each produced topic. Both imply DESCRIBE, and WRITE implies the idempotent producer's
     * IDEMPOTENT_WRITE; nothing else is granted, so no principal can create or delete topics.
     */
    static List<AclBinding> of(List<TopicAccess.Principal> principals) {
        List<AclBinding> acls = new ArrayList<>();
        for (TopicAccess.Principal principal : principals) {
            String user = "User:" + principal.name();
            for (String topic : principal.consumes()) {
                acls.add(allow(user, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ));
            }
            for (String topic : principal.produces()) {
                acls.add(allow(user, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE));
            }
            acls.add(allow(user, ResourceType.GROUP, principal.groupPrefix(), PatternType.PREFIXED, AclOperation.READ));
        }
        return acls;
    }

    private static AclBinding allow(String user, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(user, "*", operation, AclPermissionType.ALLOW));
    }
}
