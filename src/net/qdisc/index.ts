/**
 * Egress qdiscs (net/sched): one base class that counts, traces and drops, and the disciplines
 * scenarios need — pfifo_fast, pfifo, bfifo, noqueue, tbf, fq_codel, htb — built from tc-like
 * specs. Each file's header names the kernel code it models.
 */
export { Qdisc, type QdiscEvent, type QdiscEventKind, type QdiscStats, type EnqueueVerdict } from './base.ts';
export { type QdiscPacket, TC_PRIO_MAX, TC_H_ROOT, TC_H_UNSPEC, tcHMaj, tcHMin, tcHMake, parseHandle, formatHandle, HandleError } from './packet.ts';
export { parseRate, parseSize, parseTime, rateBytesPerSec, formatRate, formatSize, TcUnitError } from './units.ts';
export { RateCfg, xmittimeNs, PSCHED_TICK_NS } from './ratecfg.ts';
export { PacketQueue } from './queue.ts';
export { Pfifo, Bfifo, Noqueue, Noop, DEFAULT_TXQUEUELEN, DEFAULT_PSCHED_MTU } from './fifo.ts';
export { PfifoFast, PtrRing, PRIO2BAND, PFIFO_FAST_BANDS } from './pfifo-fast.ts';
export { Tbf, TbfConfigError, type TbfOptions } from './tbf.ts';
export { FqCodel, estimateTruesize, type FqCodelOptions } from './fq-codel.ts';
export { CodelVars, codelDequeue, controlLaw, newtonStep, codelTime, codelDuration, type CodelParams, type CodelStats, type CodelSource } from './codel.ts';
export { Htb, HtbClass, HtbMode, HtbConfigError, TC_HTB_MAXDEPTH, TC_HTB_NUMPRIO, type HtbOptions, type HtbClassOptions } from './htb.ts';
export { createQdisc, parseQdiscArgs, QdiscSpecError, type QdiscSpec, type HtbClassSpec, type QdiscDevice } from './factory.ts';
export { qdiscEventToHop, type QdiscHopContext } from './trace.ts';
