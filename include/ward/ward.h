/* The public API of libward. The library is used by ward's own faces for
 * now; its exported surface is kept here as it is stabilised. */
#pragma once

#define WARD_VERSION "0.1.0"
