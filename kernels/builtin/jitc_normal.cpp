// The JITC targets with normal weights (mean w0, stddev w1); jitc_products.h has the
// products, attrs and semantics. One file per weight kind, so that the three compile in
// parallel.
#include <be/builtin_includes.h>

#include "jitc_products.h"

// clang-format off
// @BE jitc_normal_event_matvec_bool_f32 = jitc_product<float, NormalW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bool_f64 = jitc_product<double, NormalW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bits_f32 = jitc_product<float, NormalW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bits_f64 = jitc_product<double, NormalW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matvec_f32 = jitc_product<float, NormalW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matvec_f64 = jitc_product<double, NormalW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_todense_f32 = jitc_todense<float, NormalW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_todense_f64 = jitc_todense<double, NormalW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_row_f32 = jitc_row<float, NormalW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_row_f64 = jitc_row<double, NormalW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bool_f32 = jitc_product<float, NormalW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bool_f64 = jitc_product<double, NormalW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bits_f32 = jitc_product<float, NormalW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bits_f64 = jitc_product<double, NormalW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matmat_f32 = jitc_product<float, NormalW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matmat_f64 = jitc_product<double, NormalW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE sim_jitc_normal_deliver_f32 = sim_jitc_deliver<float, NormalW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// @BE sim_jitc_normal_deliver_f64 = sim_jitc_deliver<double, NormalW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64
// clang-format on
