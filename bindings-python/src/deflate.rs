// permessage-deflate options (feature "deflate"); included from lib.rs.
