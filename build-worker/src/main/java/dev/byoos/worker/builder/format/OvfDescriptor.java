package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.nio.file.Path;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * The OVF 1.0 descriptor of a one-disk vSphere template, with the default hardware a Kubernetes node
 * boots on: 2 vCPUs, 4 GiB, EFI firmware (the disk has only an EFI System Partition), a paravirtual
 * SCSI controller and one vmxnet3 NIC. Palette clones the template and sizes the VM from the
 * cluster profile, so these are starting values, not limits.
 */
final class OvfDescriptor {

    static final String OVF_NAMESPACE = "http://schemas.dmtf.org/ovf/envelope/1";
    static final int CPUS = 2;
    static final int MEMORY_MIB = 4096;
    /** vSphere 6.7 U2 and later; what KIB's OVAs use, so templates import on every supported vCenter. */
    static final String HARDWARE_VERSION = "vmx-15";

    private OvfDescriptor() {
    }

    /**
     * @param name       the template name; callers guarantee it is made of XML-safe characters
     * @param vmdk       the disk file's name inside the OVA
     * @param vmdkSize   the disk file's size in bytes
     * @param capacity   the disk's virtual size in bytes
     */
    static String render(String name, String vmdk, long vmdkSize, long capacity) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
                    xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
                    xmlns:vmw="http://www.vmware.com/schema/ovf">
                  <References>
                    <File ovf:id="file1" ovf:href="%2$s" ovf:size="%3$d"/>
                  </References>
                  <DiskSection>
                    <Info>Virtual disk information</Info>
                    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="%4$d" ovf:capacityAllocationUnits="byte"
                        ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
                  </DiskSection>
                  <NetworkSection>
                    <Info>The logical network the NIC is connected to</Info>
                    <Network ovf:name="VM Network">
                      <Description>The VM Network network</Description>
                    </Network>
                  </NetworkSection>
                  <VirtualSystem ovf:id="%1$s">
                    <Info>A Kubernetes node template built by BYOOS Factory</Info>
                    <Name>%1$s</Name>
                    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
                      <Info>The operating system installed</Info>
                    </OperatingSystemSection>
                    <VirtualHardwareSection>
                      <Info>Virtual hardware requirements</Info>
                      <System>
                        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
                        <vssd:InstanceID>0</vssd:InstanceID>
                        <vssd:VirtualSystemIdentifier>%1$s</vssd:VirtualSystemIdentifier>
                        <vssd:VirtualSystemType>%7$s</vssd:VirtualSystemType>
                      </System>
                      <Item>
                        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
                        <rasd:Description>Number of Virtual CPUs</rasd:Description>
                        <rasd:ElementName>%5$d virtual CPU(s)</rasd:ElementName>
                        <rasd:InstanceID>1</rasd:InstanceID>
                        <rasd:ResourceType>3</rasd:ResourceType>
                        <rasd:VirtualQuantity>%5$d</rasd:VirtualQuantity>
                      </Item>
                      <Item>
                        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
                        <rasd:Description>Memory Size</rasd:Description>
                        <rasd:ElementName>%6$dMB of memory</rasd:ElementName>
                        <rasd:InstanceID>2</rasd:InstanceID>
                        <rasd:ResourceType>4</rasd:ResourceType>
                        <rasd:VirtualQuantity>%6$d</rasd:VirtualQuantity>
                      </Item>
                      <Item>
                        <rasd:Address>0</rasd:Address>
                        <rasd:Description>SCSI Controller</rasd:Description>
                        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>
                        <rasd:InstanceID>3</rasd:InstanceID>
                        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
                        <rasd:ResourceType>6</rasd:ResourceType>
                      </Item>
                      <Item>
                        <rasd:AddressOnParent>0</rasd:AddressOnParent>
                        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
                        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
                        <rasd:InstanceID>4</rasd:InstanceID>
                        <rasd:Parent>3</rasd:Parent>
                        <rasd:ResourceType>17</rasd:ResourceType>
                      </Item>
                      <Item>
                        <rasd:AddressOnParent>7</rasd:AddressOnParent>
                        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
                        <rasd:Connection>VM Network</rasd:Connection>
                        <rasd:Description>VmxNet3 ethernet adapter on "VM Network"</rasd:Description>
                        <rasd:ElementName>Network adapter 1</rasd:ElementName>
                        <rasd:InstanceID>5</rasd:InstanceID>
                        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
                        <rasd:ResourceType>10</rasd:ResourceType>
                      </Item>
                      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.formatted(name, vmdk, vmdkSize, capacity, CPUS, MEMORY_MIB, HARDWARE_VERSION);
    }

    /** The file the descriptor references as the disk of its DiskSection. */
    record DiskFile(String href, long size) {
    }

    /**
     * Parses a descriptor (no DTDs, no external entities: the file came out of an archive) and
     * returns the file its disk refers to.
     */
    static DiskFile diskFile(Path ovf) throws IOException {
        Document document;
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            DocumentBuilder parser = factory.newDocumentBuilder();
            document = parser.parse(ovf.toFile());
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("not a well-formed OVF descriptor: " + e.getMessage(), e);
        }
        Element envelope = document.getDocumentElement();
        if (!OVF_NAMESPACE.equals(envelope.getNamespaceURI()) || !"Envelope".equals(envelope.getLocalName())
                || envelope.getElementsByTagNameNS(OVF_NAMESPACE, "VirtualSystem").getLength() != 1) {
            throw new IOException("not an OVF 1.0 envelope with one VirtualSystem");
        }
        Element disk = (Element) envelope.getElementsByTagNameNS(OVF_NAMESPACE, "Disk").item(0);
        if (disk == null) {
            throw new IOException("the descriptor has no Disk");
        }
        String fileRef = disk.getAttributeNS(OVF_NAMESPACE, "fileRef");
        var files = envelope.getElementsByTagNameNS(OVF_NAMESPACE, "File");
        for (int i = 0; i < files.getLength(); i++) {
            Element file = (Element) files.item(i);
            if (fileRef.equals(file.getAttributeNS(OVF_NAMESPACE, "id"))) {
                return new DiskFile(file.getAttributeNS(OVF_NAMESPACE, "href"),
                        Long.parseLong(file.getAttributeNS(OVF_NAMESPACE, "size")));
            }
        }
        throw new IOException("the Disk refers to file '" + fileRef + "', which References does not list");
    }
}
