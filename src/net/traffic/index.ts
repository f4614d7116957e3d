/**
 * Traffic sources for the simulator — constant-rate, Poisson and on/off arrivals over sets of
 * UDP or TCP-shaped flows with fixed or IMIX sizes — plus capture files: pcap (via pcap-parser)
 * and pcapng reading, replay with original or retimed timing, and a classic pcap writer.
 */
export { constantRate, poisson, onOff, ETH_WIRE_OVERHEAD, type ArrivalProcess, type Rate, type Duration, type OnOffOptions } from './arrivals.ts';
export { fixedSize, weightedSizes, imix, type SizeDistribution } from './sizes.ts';
export { FlowSet, flowTupleString, type FlowSetOptions, type FlowTuple, type FlowPick, type AddrRange, type PortRange } from './flows.ts';
export { UdpPackets, TcpPackets, type FlowPacketSource, type LinkOptions, type TcpShape } from './flow-packets.ts';
export { TrafficGenerator, type TrafficOptions, type PacketSink, type PacketInfo } from './generator.ts';
export { CaptureReplay, type ReplayOptions, type ReplayTiming, type ReplaySink } from './replay.ts';
export { CaptureError, type Capture, type CapturedFrame } from './capture.ts';
export { readPcapFile, parsePcap, pcapMagic } from './pcap-reader.ts';
export { readPcapngFile, parsePcapng, isPcapng } from './pcapng-reader.ts';
export { readCapture } from './read-capture.ts';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.ts';
export { LINKTYPE_ETHERNET, LINKTYPE_RAW, PCAP_MAGIC_US, PCAP_MAGIC_NS, type TimestampPrecision } from './pcap-format.ts';
