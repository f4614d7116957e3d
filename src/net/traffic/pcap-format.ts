/**
 * Classic libpcap file format constants (pcap-savefile(5); draft-ietf-opsawg-pcap):
 * a 24-byte file header, then per record a 16-byte header and the captured bytes. The magic
 * number, read in either byte order, tells endianness and timestamp precision.
 */

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** LINKTYPE_ETHERNET and LINKTYPE_RAW (IPv4/IPv6 with no link header), tcpdump.org linktypes. */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export const DEFAULT_SNAPLEN = 262144;

export type TimestampPrecision = 'us' | 'ns';
