/*
 * One lock around librrd for the whole process.  rrd_graph_v is not
 * thread-safe against other librrd calls (it keeps global state and reads
 * the files rrd_update_r writes), and the collector renders graphs in a
 * thread of its own while the loop stores metrics.  The lock is fair
 * (first come, first served): a waiting loop gets it after at most the
 * one PNG being drawn, never after the whole rendering.
 */
#ifndef OSEMON_RRDLOCK_H
#define OSEMON_RRDLOCK_H

void rrd_lock(void);
void rrd_unlock(void);

#endif
