package mariadbtest

// LeafAllocTable creates Meituan Leaf's leaf_alloc table as Leaf's
// scripts/leaf_alloc.sql does, for the tests of an import from Leaf.
const LeafAllocTable = "CREATE TABLE `leaf_alloc` (" +
	"`biz_tag` varchar(128) NOT NULL DEFAULT ''," +
	"`max_id` bigint(20) NOT NULL DEFAULT '1'," +
	"`step` int(11) NOT NULL," +
	"`description` varchar(256) DEFAULT NULL," +
	"`update_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP," +
	"PRIMARY KEY (`biz_tag`)) ENGINE=InnoDB"
